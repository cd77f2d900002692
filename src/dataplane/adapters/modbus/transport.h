#pragma once
// Transports: one byte stream (a TCP connection or a serial port) and the framing on it (MBAP
// or RTU), turning "send this PDU to unit U" into "here is the response PDU". Everything runs on
// the adapter's strand; no locks. A transport never trusts the bytes it reads: every malformed,
// late or foreign frame is counted (Counters) and either discarded with the stream resynced
// (late MBAP transaction ids, CRC errors flushed by waiting for line silence) or, when the
// stream cannot be delimited any more (impossible MBAP length), the transport marks itself
// broken so the adapter reconnects. Buffers are bounded.
//
//   MbapTransport  Modbus TCP: transaction ids, up to max_in_flight pipelined requests, a late
//                  response after a timeout is recognised by its id and dropped.
//   RtuTransport   RTU frames with CRC-16 over a serial port or a TCP stream (serial servers):
//                  one request at a time, frame gap (3.5 characters) before each request,
//                  frame end from the function code and byte count, foreign units ignored.

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/metrics.h"
#include "core/result.h"
#include "dataplane/adapters/modbus/config.h"
#include "dataplane/runtime/adapter.h"

namespace sf::modbus {

using runtime::Executor;

// The sf_modbus_* series of one adapter instance ({type, instance}).
struct Counters {
  explicit Counters(core::MetricsRegistry& registry, const core::Labels& labels);
  core::Counter* requests;
  core::Counter* exceptions;
  core::Counter* timeouts;
  core::Counter* malformed;  // frames that do not parse (bad MBAP, bad byte count, noise)
  core::Counter* crc_errors;
  core::Counter* late;     // responses for a transaction no longer waited for
  core::Counter* foreign;  // responses from another unit than the request's
  core::Counter* bytes_in;
  core::Counter* bytes_out;
  core::Counter* overruns;
  core::Counter* skipped_overload;
  core::Counter* skipped_backoff;
  core::Counter* splits;  // reads split after exception 02/03
  core::Counter* tags_good;
  core::Counter* tags_bad;
  core::Counter* registers;  // registers and bits read
  core::Counter* polls;
  core::Gauge* devices_backoff;
  core::Histogram* request_seconds;
  core::Histogram* poll_seconds;
  core::Histogram* lateness_seconds;
};

// A byte stream the framings run over.
class ByteStream {
 public:
  virtual ~ByteStream() = default;
  virtual asio::awaitable<core::Status> open() = 0;
  virtual asio::awaitable<std::pair<std::error_code, size_t>> readSome(std::span<uint8_t> buf) = 0;
  virtual asio::awaitable<std::error_code> writeAll(std::span<const uint8_t> bytes) = 0;
  virtual void close() = 0;  // idempotent; outstanding operations complete with an error
  virtual std::string describe() const = 0;
};

std::unique_ptr<ByteStream> makeTcpStream(Executor ex, std::string host, uint16_t port,
                                          std::chrono::milliseconds connect_timeout);
// Opens `path` (O_NOCTTY | O_NONBLOCK) and sets raw mode, baud, parity, data and stop bits.
std::unique_ptr<ByteStream> makeSerialStream(Executor ex, const ModbusRtuConfig& config);

class Transport {
 public:
  virtual ~Transport() = default;
  // Opens the stream and starts reading. Fails with kUnavailable / kTimeout.
  virtual asio::awaitable<core::Status> open() = 0;
  // Closes the stream; transactions in flight complete with kUnavailable. Idempotent.
  virtual void close() = 0;
  // Waits until the background reader and writer have ended; call after close() and before
  // destroying the transport (they refer to it).
  virtual asio::awaitable<void> drain() = 0;
  // Sends `pdu` to `unit` and returns the response PDU (function code + data, possibly an
  // exception response), or kTimeout, kInvalidData (a garbled answer; the stream was resynced)
  // or kUnavailable (the stream is down).
  virtual asio::awaitable<core::Result<std::vector<uint8_t>>> transact(
      uint8_t unit, std::span<const uint8_t> pdu, std::chrono::nanoseconds timeout) = 0;
  // How many transactions may run at once.
  virtual size_t maxInFlight() const = 0;
  // Set once the stream is lost or cannot be resynchronised; the adapter then reconnects.
  const std::optional<core::Error>& broken() const { return broken_; }
  // Called (on the strand) when the transport breaks.
  void onBroken(std::function<void()> fn) { on_broken_ = std::move(fn); }

 protected:
  void markBroken(core::Error e) {
    if (broken_) return;
    broken_ = std::move(e);
    if (on_broken_) on_broken_();
  }
  std::optional<core::Error> broken_;
  std::function<void()> on_broken_;
};

std::unique_ptr<Transport> makeMbapTransport(Executor ex, std::unique_ptr<ByteStream> stream,
                                             Counters& counters, size_t max_in_flight);
// `frame_gap`: silence kept before each request and waited for to resync after a bad frame.
// `char_nanos`: time of one character on the line (0 on TCP), added to timeouts for the time
// the request and response take on the wire.
std::unique_ptr<Transport> makeRtuTransport(Executor ex, std::unique_ptr<ByteStream> stream,
                                            Counters& counters, std::chrono::nanoseconds frame_gap,
                                            int64_t char_nanos);

}  // namespace sf::modbus
