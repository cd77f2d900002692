#include "dataplane/adapters/modbus/transport.h"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <asio/co_spawn.hpp>
#include <asio/connect.hpp>
#include <asio/detached.hpp>
#include <asio/redirect_error.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <cerrno>
#include <cstring>

#include "core/log.h"

namespace sf::modbus {
namespace {

using asio::redirect_error;
using asio::use_awaitable;
using Clock = std::chrono::steady_clock;

constexpr size_t kRxCapacity = 4096;

std::vector<double> latenessBuckets() {
  return {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0015, 0.002, 0.003, 0.004, 0.005, 0.0075,
          0.01,    0.025,  0.05,    0.1,    0.25,  0.5,    1,     2.5,   5,     10};
}

// ---- streams ----

class TcpStream final : public ByteStream {
 public:
  TcpStream(Executor ex, std::string host, uint16_t port, std::chrono::milliseconds timeout)
      : ex_(ex), socket_(ex), host_(std::move(host)), port_(port), timeout_(timeout) {}

  asio::awaitable<core::Status> open() override {
    close();
    socket_ = asio::ip::tcp::socket(ex_);
    asio::ip::tcp::resolver resolver(ex_);
    asio::error_code ec;
    asio::steady_timer deadline(ex_, timeout_);
    bool timed_out = false;
    deadline.async_wait([&](asio::error_code e) {
      if (!e) {
        timed_out = true;
        resolver.cancel();
        asio::error_code ignored;
        socket_.close(ignored);
      }
    });
    auto endpoints = co_await resolver.async_resolve(host_, std::to_string(port_),
                                                     redirect_error(use_awaitable, ec));
    if (!ec && !timed_out) {
      co_await asio::async_connect(socket_, endpoints, redirect_error(use_awaitable, ec));
    }
    deadline.cancel();
    if (timed_out) {
      co_return core::fail(core::Errc::kTimeout, "connect to " + describe() + " timed out");
    }
    if (ec) {
      co_return core::fail(core::Errc::kUnavailable,
                           "connect to " + describe() + " failed: " + ec.message());
    }
    asio::error_code ignored;
    socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
    co_return core::ok();
  }

  asio::awaitable<std::pair<std::error_code, size_t>> readSome(std::span<uint8_t> buf) override {
    asio::error_code ec;
    size_t n = co_await socket_.async_read_some(asio::buffer(buf.data(), buf.size()),
                                                redirect_error(use_awaitable, ec));
    co_return std::pair<std::error_code, size_t>{ec, n};
  }

  asio::awaitable<std::error_code> writeAll(std::span<const uint8_t> bytes) override {
    asio::error_code ec;
    co_await asio::async_write(socket_, asio::buffer(bytes.data(), bytes.size()),
                               redirect_error(use_awaitable, ec));
    co_return ec;
  }

  void close() override {
    asio::error_code ignored;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  std::string describe() const override { return host_ + ":" + std::to_string(port_); }

 private:
  Executor ex_;
  asio::ip::tcp::socket socket_;
  std::string host_;
  uint16_t port_;
  std::chrono::milliseconds timeout_;
};

speed_t baudConstant(uint32_t baud) {
  switch (baud) {
    case 1200:
      return B1200;
    case 2400:
      return B2400;
    case 4800:
      return B4800;
    case 9600:
      return B9600;
    case 19200:
      return B19200;
    case 38400:
      return B38400;
    case 57600:
      return B57600;
    case 115200:
      return B115200;
    case 230400:
      return B230400;
    default:
      return B0;
  }
}

class SerialStream final : public ByteStream {
 public:
  SerialStream(Executor ex, ModbusRtuConfig config)
      : ex_(ex), fd_(ex), config_(std::move(config)) {}

  asio::awaitable<core::Status> open() override {
    close();
    // O_NONBLOCK: never block the strand in open() (modem control lines) or later reads.
    const int fd = ::open(config_.serial_port.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
      co_return core::fail(core::Errc::kUnavailable,
                           "open " + config_.serial_port + ": " + std::strerror(errno));
    }
    termios tio{};
    if (::tcgetattr(fd, &tio) != 0) {
      const int err = errno;
      ::close(fd);
      co_return core::fail(core::Errc::kUnavailable,
                           config_.serial_port + " is not a serial port: " + std::strerror(err));
    }
    ::cfmakeraw(&tio);
    const speed_t speed = baudConstant(config_.baud_rate);
    ::cfsetispeed(&tio, speed);
    ::cfsetospeed(&tio, speed);
    tio.c_cflag |= CLOCAL | CREAD;
    tio.c_cflag &= ~static_cast<tcflag_t>(CSIZE | PARENB | PARODD | CSTOPB | CRTSCTS);
    tio.c_cflag |= config_.data_bits == 7 ? CS7 : CS8;
    if (config_.parity != Parity::kNone) tio.c_cflag |= PARENB;
    if (config_.parity == Parity::kOdd) tio.c_cflag |= PARODD;
    if (config_.stop_bits == 2) tio.c_cflag |= CSTOPB;
    tio.c_iflag &= ~static_cast<tcflag_t>(IXON | IXOFF | IXANY);
    // VMIN 1: with O_NONBLOCK an empty port reads EAGAIN and Asio waits for readiness. VMIN 0
    // with VTIME 0 would make read() return 0 on an empty port, which Asio (rightly) takes for
    // end of file: the transport would break on its first read.
    tio.c_cc[VMIN] = 1;
    tio.c_cc[VTIME] = 0;
    if (::tcsetattr(fd, TCSANOW, &tio) != 0) {
      const int err = errno;
      ::close(fd);
      co_return core::fail(core::Errc::kUnavailable,
                           "configure " + config_.serial_port + ": " + std::strerror(err));
    }
    ::tcflush(fd, TCIOFLUSH);
    asio::error_code ec;
    fd_.assign(fd, ec);
    if (ec) {
      ::close(fd);
      co_return core::fail(core::Errc::kUnavailable,
                           "assign " + config_.serial_port + ": " + ec.message());
    }
    co_return core::ok();
  }

  asio::awaitable<std::pair<std::error_code, size_t>> readSome(std::span<uint8_t> buf) override {
    asio::error_code ec;
    size_t n = co_await fd_.async_read_some(asio::buffer(buf.data(), buf.size()),
                                            redirect_error(use_awaitable, ec));
    co_return std::pair<std::error_code, size_t>{ec, n};
  }

  asio::awaitable<std::error_code> writeAll(std::span<const uint8_t> bytes) override {
    asio::error_code ec;
    co_await asio::async_write(fd_, asio::buffer(bytes.data(), bytes.size()),
                               redirect_error(use_awaitable, ec));
    co_return ec;
  }

  void close() override {
    asio::error_code ignored;
    if (fd_.is_open()) fd_.close(ignored);
  }

  std::string describe() const override { return config_.serial_port; }

 private:
  Executor ex_;
  asio::posix::stream_descriptor fd_;
  ModbusRtuConfig config_;
};

// ---- MBAP ----

class MbapTransport final : public Transport {
 public:
  MbapTransport(Executor ex, std::unique_ptr<ByteStream> stream, Counters& counters,
                size_t max_in_flight)
      : ex_(ex),
        stream_(std::move(stream)),
        counters_(counters),
        max_in_flight_(max_in_flight),
        done_(ex, Clock::time_point::max()) {}

  ~MbapTransport() override { stream_->close(); }

  asio::awaitable<core::Status> open() override {
    broken_.reset();
    auto st = co_await stream_->open();
    if (!st) co_return st;
    open_ = true;
    rx_len_ = 0;
    reading_ = true;
    asio::co_spawn(ex_, readLoop(), asio::detached);
    co_return core::ok();
  }

  void close() override {
    if (!open_) return;
    open_ = false;
    stream_->close();
    failAll(core::Error(core::Errc::kUnavailable, "connection closed"));
  }

  size_t maxInFlight() const override { return max_in_flight_; }

  asio::awaitable<void> drain() override {
    asio::error_code ec;
    while (reading_ || writing_) co_await done_.async_wait(redirect_error(use_awaitable, ec));
  }

  asio::awaitable<core::Result<std::vector<uint8_t>>> transact(
      uint8_t unit, std::span<const uint8_t> pdu, std::chrono::nanoseconds timeout) override {
    if (broken_) co_return core::fail(core::Errc::kUnavailable, broken_->message);
    if (!open_) co_return core::fail(core::Errc::kUnavailable, "not connected");
    Pending p(ex_);
    p.unit = unit;
    // Skip ids still in flight (possible only after 65536 requests with one stuck).
    uint16_t tid = next_tid_++;
    while (pending_.count(tid)) tid = next_tid_++;
    pending_[tid] = &p;
    out_.reserve(out_.size() + kMbapHeaderSize + pdu.size());
    appendMbapFrame(out_, tid, unit, pdu);
    counters_.requests->inc();
    if (!writing_) {
      writing_ = true;
      asio::co_spawn(ex_, writeLoop(), asio::detached);
    }
    p.timer.expires_after(timeout);
    asio::error_code ec;
    co_await p.timer.async_wait(redirect_error(use_awaitable, ec));
    pending_.erase(tid);
    if (p.result) co_return std::move(*p.result);
    if (broken_) co_return core::fail(core::Errc::kUnavailable, broken_->message);
    if (!open_) co_return core::fail(core::Errc::kUnavailable, "connection closed");
    if (ec == asio::error::operation_aborted) {
      co_return core::fail(core::Errc::kCancelled, "request cancelled");
    }
    counters_.timeouts->inc();
    co_return core::fail(core::Errc::kTimeout,
                         "no response from unit " + std::to_string(unit) + " within " +
                             std::to_string(timeout.count() / 1'000'000) + " ms");
  }

 private:
  struct Pending {
    explicit Pending(Executor ex) : timer(ex) {}
    uint8_t unit = 0;
    asio::steady_timer timer;
    std::optional<core::Result<std::vector<uint8_t>>> result;
  };

  void complete(Pending& p, core::Result<std::vector<uint8_t>> r) {
    p.result = std::move(r);
    p.timer.cancel();
  }

  void failAll(const core::Error& e) {
    for (auto& [tid, p] : pending_) {
      if (!p->result) complete(*p, core::fail(e));
    }
  }

  void fail(core::Error e) {
    SF_LOG_WARN("modbus", "connection unusable",
                {{"peer", stream_->describe()}, {"error", e.message}});
    markBroken(e);
    open_ = false;
    stream_->close();
    // The requests in flight lost their connection, whatever broke it (broken() keeps the
    // cause): kUnavailable, as transact() promises, so their tags are "not connected" rather
    // than "invalid response" (which would count as the device answering).
    failAll(core::Error(core::Errc::kUnavailable, e.message));
  }

  asio::awaitable<void> writeLoop() {
    std::vector<uint8_t> sending;
    while (!out_.empty() && open_) {
      sending.swap(out_);
      out_.clear();
      auto ec = co_await stream_->writeAll(sending);
      if (ec) {
        if (open_) fail(core::Error(core::Errc::kUnavailable, "write: " + ec.message()));
        break;
      }
      counters_.bytes_out->inc(sending.size());
      sending.clear();
    }
    out_.clear();
    writing_ = false;
    done_.cancel();
  }

  asio::awaitable<void> readLoop() {
    while (open_) {
      auto [ec, n] = co_await stream_->readSome(std::span<uint8_t>(rx_).subspan(rx_len_));
      if (ec || n == 0) {
        if (open_) {
          fail(core::Error(core::Errc::kUnavailable,
                           ec ? "read: " + ec.message() : std::string("peer closed")));
        }
        break;
      }
      counters_.bytes_in->inc(n);
      rx_len_ += n;
      size_t at = 0;
      bool bad = false;
      while (at < rx_len_) {
        auto scan = scanMbap(std::span<const uint8_t>(rx_.data() + at, rx_len_ - at));
        if (scan.status == FrameStatus::kNeedMore) break;
        if (scan.status == FrameStatus::kMalformed) {
          counters_.malformed->inc();
          fail(core::Error(core::Errc::kInvalidData, "malformed MBAP header (length " +
                                                         std::to_string(scan.header.length) +
                                                         "): cannot resynchronise, reconnecting"));
          bad = true;
          break;
        }
        at += scan.size;
        if (scan.status == FrameStatus::kSkip) {
          counters_.malformed->inc();  // not Modbus (protocol id != 0): dropped
          continue;
        }
        dispatch(scan);
      }
      if (bad) break;
      // Keep the unparsed tail at the front (at most one partial frame, < 260 bytes).
      if (at > 0) {
        std::memmove(rx_.data(), rx_.data() + at, rx_len_ - at);
        rx_len_ -= at;
      }
    }
    reading_ = false;
    done_.cancel();
  }

  void dispatch(const MbapScan& scan) {
    auto it = pending_.find(scan.header.transaction_id);
    if (it == pending_.end() || it->second->result) {
      // A response after its request timed out, or a duplicate: drop it, the stream is intact.
      counters_.late->inc();
      return;
    }
    Pending& p = *it->second;
    if (scan.header.unit_id != p.unit) {
      counters_.foreign->inc();
      complete(p, core::fail(core::Errc::kInvalidData,
                             "response from unit " + std::to_string(scan.header.unit_id) +
                                 " to a request for unit " + std::to_string(p.unit)));
      return;
    }
    complete(p, std::vector<uint8_t>(scan.pdu.begin(), scan.pdu.end()));
  }

  Executor ex_;
  std::unique_ptr<ByteStream> stream_;
  Counters& counters_;
  size_t max_in_flight_;
  bool open_ = false;
  bool writing_ = false;
  bool reading_ = false;
  uint16_t next_tid_ = 1;
  std::map<uint16_t, Pending*> pending_;
  std::vector<uint8_t> out_;
  std::array<uint8_t, kRxCapacity> rx_{};
  size_t rx_len_ = 0;
  asio::steady_timer done_;
};

// ---- RTU ----

class RtuTransport final : public Transport {
 public:
  RtuTransport(Executor ex, std::unique_ptr<ByteStream> stream, Counters& counters,
               std::chrono::nanoseconds gap, int64_t char_nanos)
      : ex_(ex),
        stream_(std::move(stream)),
        counters_(counters),
        gap_(gap),
        char_nanos_(char_nanos),
        rx_signal_(ex, Clock::time_point::max()),
        wait_(ex),
        done_(ex, Clock::time_point::max()) {}

  ~RtuTransport() override { stream_->close(); }

  asio::awaitable<core::Status> open() override {
    broken_.reset();
    auto st = co_await stream_->open();
    if (!st) co_return st;
    open_ = true;
    rx_.clear();
    last_activity_ = Clock::now();
    reading_ = true;
    asio::co_spawn(ex_, readLoop(), asio::detached);
    co_return core::ok();
  }

  void close() override {
    if (!open_) return;
    open_ = false;
    stream_->close();
    rx_signal_.cancel();
  }

  size_t maxInFlight() const override { return 1; }

  asio::awaitable<void> drain() override {
    asio::error_code ec;
    while (reading_) co_await done_.async_wait(redirect_error(use_awaitable, ec));
  }

  asio::awaitable<core::Result<std::vector<uint8_t>>> transact(
      uint8_t unit, std::span<const uint8_t> pdu, std::chrono::nanoseconds timeout) override {
    if (broken_) co_return core::fail(core::Errc::kUnavailable, broken_->message);
    if (!open_) co_return core::fail(core::Errc::kUnavailable, "not connected");
    if (busy_) co_return core::fail(core::Errc::kInternal, "RTU transport is not reentrant");
    busy_ = true;
    auto r = co_await transactOnce(unit, pdu, timeout);
    last_activity_ = Clock::now();
    busy_ = false;
    co_return r;
  }

 private:
  asio::awaitable<core::Result<std::vector<uint8_t>>> transactOnce(
      uint8_t unit, std::span<const uint8_t> pdu, std::chrono::nanoseconds timeout) {
    asio::error_code ec;
    // Inter-frame silence before we talk (t3.5 on a serial line).
    const auto ready = last_activity_ + gap_;
    if (Clock::now() < ready) {
      wait_.expires_at(ready);
      co_await wait_.async_wait(redirect_error(use_awaitable, ec));
      if (!open_) co_return core::fail(core::Errc::kUnavailable, "connection closed");
    }
    if (!rx_.empty()) {
      // Bytes nobody asked for (a late answer to a timed-out request, noise): drop them.
      counters_.late->inc();
      rx_.clear();
    }
    tx_.clear();
    appendRtuFrame(tx_, unit, pdu);
    counters_.requests->inc();
    auto wec = co_await stream_->writeAll(tx_);
    if (wec) {
      fail(core::Error(core::Errc::kUnavailable, "write: " + wec.message()));
      co_return core::fail(*broken_);
    }
    counters_.bytes_out->inc(tx_.size());
    // The request and the longest response take this long on the wire at the line rate.
    const auto wire =
        std::chrono::nanoseconds(char_nanos_ * static_cast<int64_t>(tx_.size() + 256));
    const auto deadline = Clock::now() + timeout + wire;
    const uint8_t function = pdu.empty() ? 0 : pdu[0];
    while (true) {
      auto scan = scanRtuResponse(rx_, function);
      if (scan.status == FrameStatus::kFrame) {
        if (scan.unit != unit) {
          // Another unit talking (misconfiguration or an echo): not our answer; keep waiting.
          counters_.foreign->inc();
          rx_.erase(rx_.begin(), rx_.begin() + static_cast<std::ptrdiff_t>(scan.size));
          continue;
        }
        std::vector<uint8_t> out(scan.pdu.begin(), scan.pdu.end());
        rx_.erase(rx_.begin(), rx_.begin() + static_cast<std::ptrdiff_t>(scan.size));
        if (!rx_.empty()) {
          counters_.malformed->inc();  // trailing bytes after a good frame
          rx_.clear();
        }
        co_return out;
      }
      if (scan.status == FrameStatus::kMalformed) {
        (scan.crc_error ? counters_.crc_errors : counters_.malformed)->inc();
        co_await flush(deadline);
        co_return core::fail(core::Errc::kInvalidData,
                             scan.crc_error ? "CRC error in the response"
                                            : "malformed RTU response (unexpected function code "
                                              "or byte count)");
      }
      if (!open_) co_return core::fail(core::Errc::kUnavailable, "connection closed");
      if (Clock::now() >= deadline) {
        if (!rx_.empty()) {
          counters_.malformed->inc();  // a partial frame that never completed
          rx_.clear();
        }
        counters_.timeouts->inc();
        co_return core::fail(core::Errc::kTimeout,
                             "no response from unit " + std::to_string(unit) + " within " +
                                 std::to_string(timeout.count() / 1'000'000) + " ms");
      }
      rx_signal_.expires_at(deadline);
      co_await rx_signal_.async_wait(redirect_error(use_awaitable, ec));
    }
  }

  // After a bad frame: wait until the line has been silent for a frame gap (at least 5 ms),
  // bounded by `deadline` + 1 s, dropping everything, so the next request starts clean.
  asio::awaitable<void> flush(Clock::time_point deadline) {
    const auto quiet = std::max<std::chrono::nanoseconds>(gap_, std::chrono::milliseconds(5));
    const auto limit = deadline + std::chrono::seconds(1);
    asio::error_code ec;
    while (open_) {
      const size_t before = rx_.size();
      const auto now = Clock::now();
      if (now >= limit) break;
      rx_signal_.expires_at(std::min(now + quiet, limit));
      co_await rx_signal_.async_wait(redirect_error(use_awaitable, ec));
      if (!ec && rx_.size() == before) break;  // a full quiet period passed
    }
    rx_.clear();
  }

  void fail(core::Error e) {
    markBroken(std::move(e));
    open_ = false;
    stream_->close();
    rx_signal_.cancel();
  }

  asio::awaitable<void> readLoop() {
    std::array<uint8_t, 512> buf{};
    while (open_) {
      auto [ec, n] = co_await stream_->readSome(buf);
      if (ec || n == 0) {
        if (open_) {
          fail(core::Error(core::Errc::kUnavailable,
                           ec ? "read: " + ec.message() : std::string("peer closed")));
        }
        break;
      }
      counters_.bytes_in->inc(n);
      last_activity_ = Clock::now();
      if (rx_.size() + n > kRxCapacity) {
        counters_.malformed->inc();  // a babbling line: keep memory bounded
        rx_.clear();
      }
      rx_.insert(rx_.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
      rx_signal_.cancel();
    }
    reading_ = false;
    done_.cancel();
  }

  Executor ex_;
  std::unique_ptr<ByteStream> stream_;
  Counters& counters_;
  std::chrono::nanoseconds gap_;
  int64_t char_nanos_;
  bool open_ = false;
  bool busy_ = false;
  bool reading_ = false;
  std::vector<uint8_t> rx_;
  std::vector<uint8_t> tx_;
  Clock::time_point last_activity_{};
  asio::steady_timer rx_signal_;
  asio::steady_timer wait_;
  asio::steady_timer done_;
};

}  // namespace

Counters::Counters(core::MetricsRegistry& r, const core::Labels& l)
    : requests(&r.counter("sf_modbus_requests_total", "Modbus requests sent.", l)),
      exceptions(&r.counter("sf_modbus_exceptions_total", "Modbus exception responses.", l)),
      timeouts(&r.counter("sf_modbus_timeouts_total", "Requests without a response in time.", l)),
      malformed(&r.counter("sf_modbus_malformed_frames_total",
                           "Frames that do not parse (MBAP header, byte count, partial, noise).",
                           l)),
      crc_errors(&r.counter("sf_modbus_crc_errors_total", "RTU frames with a bad CRC.", l)),
      late(&r.counter("sf_modbus_late_responses_total",
                      "Responses to requests no longer waited for (after a timeout), dropped.", l)),
      foreign(&r.counter("sf_modbus_foreign_responses_total",
                         "Responses from another unit than the one asked.", l)),
      bytes_in(&r.counter("sf_modbus_bytes_received_total", "Bytes received.", l)),
      bytes_out(&r.counter("sf_modbus_bytes_sent_total", "Bytes sent.", l)),
      overruns(&r.counter("sf_modbus_overruns_total",
                          "Poll slots skipped because the previous poll was still running.", l)),
      skipped_overload(&r.counter("sf_modbus_skipped_overload_total",
                                  "Poll slots skipped because the ingest was overloaded.", l)),
      skipped_backoff(&r.counter("sf_modbus_skipped_backoff_total",
                                 "Poll slots skipped because the device was backed off.", l)),
      splits(&r.counter("sf_modbus_read_splits_total",
                        "Merged reads split after exception 02/03 (learned).", l)),
      tags_good(&r.counter("sf_modbus_tags_good_total", "Tag readings with good quality.", l)),
      tags_bad(&r.counter("sf_modbus_tags_bad_total", "Tag readings with bad quality.", l)),
      registers(&r.counter("sf_modbus_registers_read_total", "Registers and bits read.", l)),
      polls(&r.counter("sf_modbus_polls_total", "Polls run (device x poll group).", l)),
      devices_backoff(&r.gauge("sf_modbus_devices_backoff", "Devices currently backed off.", l)),
      request_seconds(
          &r.histogram("sf_modbus_request_duration_seconds", "Request round-trip time.", l)),
      poll_seconds(&r.histogram("sf_modbus_poll_duration_seconds", "Poll duration.", l)),
      lateness_seconds(&r.histogram("sf_modbus_poll_lateness_seconds",
                                    "How late a poll started against its schedule (jitter).", l,
                                    latenessBuckets())) {}

std::unique_ptr<ByteStream> makeTcpStream(Executor ex, std::string host, uint16_t port,
                                          std::chrono::milliseconds connect_timeout) {
  return std::make_unique<TcpStream>(ex, std::move(host), port, connect_timeout);
}

std::unique_ptr<ByteStream> makeSerialStream(Executor ex, const ModbusRtuConfig& config) {
  return std::make_unique<SerialStream>(ex, config);
}

std::unique_ptr<Transport> makeMbapTransport(Executor ex, std::unique_ptr<ByteStream> stream,
                                             Counters& counters, size_t max_in_flight) {
  return std::make_unique<MbapTransport>(ex, std::move(stream), counters, max_in_flight);
}

std::unique_ptr<Transport> makeRtuTransport(Executor ex, std::unique_ptr<ByteStream> stream,
                                            Counters& counters, std::chrono::nanoseconds frame_gap,
                                            int64_t char_nanos) {
  return std::make_unique<RtuTransport>(ex, std::move(stream), counters, frame_gap, char_nanos);
}

}  // namespace sf::modbus
