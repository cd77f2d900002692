#include "dataplane/adapters/modbus/adapter.h"

#include <algorithm>
#include <asio/co_spawn.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <cstdio>
#include <set>

#include "core/log.h"

namespace sf::modbus {
namespace {

using asio::redirect_error;
using asio::use_awaitable;
using Clock = std::chrono::steady_clock;

std::string hexCode(uint32_t code) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02X", code);
  return buf;
}

}  // namespace

struct ModbusAdapter::Job {
  explicit Job(Executor ex) : done(ex, Clock::time_point::max()) {}
  uint8_t unit = 0;
  std::span<const uint8_t> pdu;
  std::optional<core::Result<std::vector<uint8_t>>> result;
  asio::steady_timer done;
};

struct ModbusAdapter::Group {
  explicit Group(Executor ex) : timer(ex) {}
  std::string name;
  std::chrono::nanoseconds interval{};
  std::vector<PlanItem> items;
  std::shared_ptr<const std::vector<PlannedRead>> plan;
  uint64_t plan_version = UINT64_MAX;
  asio::steady_timer timer;
};

struct ModbusAdapter::Device {
  size_t index = 0;
  const ModbusDeviceConfig* cfg = nullptr;
  PlanLimits limits;
  Learned learned;
  uint64_t learned_version = 0;
  struct BadTag {
    Clock::time_point retry_at;  // when to read it again
    uint32_t code = 0;
    std::string text;
  };
  std::map<uint32_t, BadTag> bad;  // tags whose own read failed with exception 02/03
  std::set<std::pair<Table, uint32_t>> pruned_once;  // reads whose split points were pruned
  uint32_t consecutive_failures = 0;
  bool in_backoff = false;
  Clock::time_point backoff_until{};
  std::chrono::nanoseconds backoff_next{};
  runtime::DeviceState state = runtime::DeviceState::kConnecting;
  std::string last_error;
  int64_t last_good_ns = 0;
  std::vector<std::unique_ptr<Group>> groups;
};

struct ModbusAdapter::PollOutcome {
  std::vector<model::Record> records;
  bool timed_out = false;      // a request timed out: the rest of the poll is not attempted
  bool device_failed = false;  // the gateway says the device did not answer (0A/0B)
  bool any_response = false;   // the device answered at least once
  bool link_down = false;
  size_t bad = 0;
  std::string error;
  // Split points added by the bisection of the current top-level read, and tags it isolated.
  std::vector<std::pair<Table, uint32_t>> session_splits;
  size_t session_isolated = 0;
};

ModbusAdapter::ModbusAdapter(runtime::AdapterContext ctx, ModbusCommonConfig config,
                             TransportFactory factory)
    : ctx_(std::move(ctx)),
      config_(std::move(config)),
      factory_(std::move(factory)),
      counters_(*ctx_.metrics, ctx_.labels()),
      idle_(ctx_.executor, Clock::time_point::max()),
      wake_(ctx_.executor, Clock::time_point::max()),
      drain_(ctx_.executor, Clock::time_point::max()) {
  for (size_t i = 0; i < config_.devices.size(); ++i) {
    auto d = std::make_unique<Device>();
    d->index = i;
    d->cfg = &config_.devices[i];
    d->limits = limitsOf(*d->cfg);
    d->backoff_next = d->cfg->backoff_initial;
    for (const auto& name : groupsOf(*d->cfg)) {
      auto g = std::make_unique<Group>(ctx_.executor);
      g->name = name;
      g->interval = groupInterval(config_, name);
      g->items = planItems(*d->cfg, name);
      d->groups.push_back(std::move(g));
    }
    DeviceStatus s;
    s.device = d->cfg->name;
    status_.push_back(s);
    devices_.push_back(std::move(d));
  }
  queues_.resize(devices_.size());
}

ModbusAdapter::~ModbusAdapter() = default;

std::vector<runtime::Adapter::DeviceStatus> ModbusAdapter::devices() const {
  std::lock_guard lock(status_mu_);
  return status_;
}

void ModbusAdapter::publishStatus(Device& d) {
  std::lock_guard lock(status_mu_);
  auto& s = status_[d.index];
  s.state = d.state;
  s.last_error = d.last_error;
  s.last_good_read_ns = d.last_good_ns;
}

bool ModbusAdapter::overloaded() const { return ctx_.overloaded && ctx_.overloaded(); }

void ModbusAdapter::setDeviceState(Device& d, runtime::DeviceState s, const std::string& error) {
  const auto from = d.state;
  d.state = s;
  if (!error.empty()) d.last_error = error;
  publishStatus(d);
  if (from == s ||
      (from == runtime::DeviceState::kConnecting && s == runtime::DeviceState::kConnected)) {
    return;
  }
  const bool worse = s == runtime::DeviceState::kFailing;
  std::string message = "device " + d.cfg->name + " " + std::string(runtime::deviceStateName(s));
  if (worse && !error.empty()) message += ": " + error;
  if (worse) {
    SF_LOG_WARN("modbus", "device backed off",
                {{"adapter", ctx_.name}, {"device", d.cfg->name}, {"error", error}});
  } else {
    SF_LOG_INFO("modbus", "device state",
                {{"adapter", ctx_.name},
                 {"device", d.cfg->name},
                 {"state", std::string(runtime::deviceStateName(s))}});
  }
  if (!ctx_.emitter) return;
  model::Record r;
  r.site = ctx_.site;
  r.gateway = ctx_.gateway;
  r.adapter = ctx_.name;
  r.device = d.cfg->name;
  r.tag = "_device";
  r.source_ts_ns = r.gateway_ts_ns = ctx_.clock->nowUnixNanos();
  r.detail = model::LogInfo{worse ? model::LogLevel::kWarning : model::LogLevel::kInfo,
                            std::move(message), "dataplane.adapters.modbus"};
  r.attributes.set("from", std::string(runtime::deviceStateName(from)));
  r.attributes.set("to", std::string(runtime::deviceStateName(s)));
  std::vector<model::Record> batch;
  batch.push_back(std::move(r));
  ctx_.emitter->emit(std::move(batch));
}

void ModbusAdapter::spawn(asio::awaitable<void> task) {
  ++tasks_;
  asio::co_spawn(ctx_.executor, std::move(task), [this](std::exception_ptr e) {
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        SF_LOG_ERROR("modbus", "task failed", {{"adapter", ctx_.name}, {"error", ex.what()}});
      } catch (...) {
        SF_LOG_ERROR("modbus", "task failed", {{"adapter", ctx_.name}});
      }
    }
    if (--tasks_ == 0) drain_.cancel();
  });
}

asio::awaitable<core::Status> ModbusAdapter::connect() {
  if (transport_) {
    transport_->close();
    co_await transport_->drain();
  }
  transport_ = factory_(ctx_.executor, counters_);
  co_return co_await transport_->open();
}

asio::awaitable<void> ModbusAdapter::close() {
  if (!transport_) co_return;
  transport_->close();
  co_await transport_->drain();
}

void ModbusAdapter::shutdownQueues(const core::Error& e) {
  for (auto& q : queues_) {
    for (Job* j : q) {
      j->result = core::fail(e);
      j->done.cancel();
    }
    q.clear();
  }
  idle_.cancel();
}

asio::awaitable<core::Result<std::vector<uint8_t>>> ModbusAdapter::transact(
    Device& d, std::span<const uint8_t> pdu) {
  if (!transport_) co_return core::fail(core::Errc::kUnavailable, "not connected");
  const auto timeout = std::chrono::duration_cast<std::chrono::nanoseconds>(config_.timeout);
  if (workers_ == 0) {
    // Not running (CLI read/write, pollOnce): one caller at a time talks to the transport.
    co_return co_await transport_->transact(d.cfg->unit_id, pdu, timeout);
  }
  if (stopping_) co_return core::fail(core::Errc::kCancelled, "stopping");
  Job job(ctx_.executor);
  job.unit = d.cfg->unit_id;
  job.pdu = pdu;
  queues_[d.index].push_back(&job);
  idle_.cancel();
  asio::error_code ec;
  while (!job.result) co_await job.done.async_wait(redirect_error(use_awaitable, ec));
  co_return std::move(*job.result);
}

asio::awaitable<void> ModbusAdapter::worker() {
  asio::steady_timer gap(ctx_.executor);
  asio::error_code ec;
  while (!stopping_) {
    Job* job = nullptr;
    const size_t n = queues_.size();
    for (size_t k = 1; k <= n && job == nullptr; ++k) {
      const size_t i = (rr_ + k) % n;
      if (!queues_[i].empty()) {
        job = queues_[i].front();
        queues_[i].pop_front();
        rr_ = i;
      }
    }
    if (job == nullptr) {
      co_await idle_.async_wait(redirect_error(use_awaitable, ec));
      continue;
    }
    const auto start = Clock::now();
    auto r = co_await transport_->transact(
        job->unit, job->pdu, std::chrono::duration_cast<std::chrono::nanoseconds>(config_.timeout));
    counters_.request_seconds->observe(std::chrono::duration<double>(Clock::now() - start).count());
    job->result = std::move(r);
    job->done.cancel();
    if (config_.request_gap.count() > 0 && !stopping_) {
      gap.expires_after(config_.request_gap);
      co_await gap.async_wait(redirect_error(use_awaitable, ec));
    }
  }
  --workers_;
}

asio::awaitable<core::Status> ModbusAdapter::run() {
  if (!transport_) co_return core::fail(core::Errc::kUnavailable, "not connected");
  if (transport_->broken()) co_return core::fail(*transport_->broken());
  stopping_ = false;
  transport_->onBroken([this] { wake_.cancel(); });
  // Counted before they start, so no poller talks to the transport past the queue.
  workers_ += transport_->maxInFlight();
  for (size_t i = 0; i < transport_->maxInFlight(); ++i) spawn(worker());
  size_t total = 0;
  for (auto& d : devices_) total += d->groups.size();
  size_t idx = 0;
  for (auto& d : devices_) {
    for (auto& g : d->groups) {
      // Stagger the first slots across the interval so polls of many devices do not bunch.
      const auto phase = g->interval * static_cast<int64_t>(idx) /
                         static_cast<int64_t>(std::max<size_t>(total, 1));
      spawn(pollerLoop(*d, *g, phase));
      ++idx;
    }
  }
  asio::error_code ec;
  if (!transport_->broken()) co_await wake_.async_wait(redirect_error(use_awaitable, ec));
  stopping_ = true;
  transport_->onBroken(nullptr);
  transport_->close();
  shutdownQueues(core::Error(core::Errc::kCancelled, "stopping"));
  for (auto& d : devices_) {
    for (auto& g : d->groups) g->timer.cancel();
  }
  while (tasks_ > 0) {
    co_await drain_.async_wait(redirect_error(use_awaitable, ec));
  }
  if (transport_->broken()) co_return core::fail(*transport_->broken());
  co_return core::fail(core::Errc::kCancelled, "stopped");
}

asio::awaitable<void> ModbusAdapter::pollerLoop(Device& d, Group& g,
                                                std::chrono::nanoseconds phase) {
  auto next = Clock::now() + phase;
  asio::error_code ec;
  while (!stopping_) {
    g.timer.expires_at(next);
    co_await g.timer.async_wait(redirect_error(use_awaitable, ec));
    if (stopping_) break;
    auto now = Clock::now();
    counters_.lateness_seconds->observe(
        std::chrono::duration<double>(std::max(now - next, Clock::duration::zero())).count());
    if (d.in_backoff && now < d.backoff_until) {
      counters_.skipped_backoff->inc();
    } else if (overloaded()) {
      counters_.skipped_overload->inc();
    } else {
      co_await poll(d, g);
    }
    next += g.interval;
    now = Clock::now();
    if (now >= next) {
      // The poll ran into the next slot(s): skip them (counted), never queue them.
      const auto missed = (now - next) / g.interval + 1;
      counters_.overruns->inc(static_cast<uint64_t>(missed));
      next += g.interval * missed;
    }
  }
}

void ModbusAdapter::replan(Device& d, Group& g) {
  if (g.plan && g.plan_version == d.learned_version) return;
  g.plan =
      std::make_shared<const std::vector<PlannedRead>>(planReads(g.items, d.limits, d.learned));
  g.plan_version = d.learned_version;
}

std::vector<GroupPlan> ModbusAdapter::currentPlan() const {
  std::vector<GroupPlan> out;
  for (const auto& d : devices_) {
    for (const auto& g : d->groups) {
      GroupPlan p;
      p.device = d->cfg->name;
      p.unit_id = d->cfg->unit_id;
      p.group = g->name;
      p.interval_ms = std::chrono::duration_cast<std::chrono::milliseconds>(g->interval).count();
      p.tags = g->items.size();
      p.reads = planReads(g->items, d->limits, d->learned);
      out.push_back(std::move(p));
    }
  }
  return out;
}

asio::awaitable<void> ModbusAdapter::pollOnce() {
  for (auto& d : devices_) {
    for (auto& g : d->groups) co_await poll(*d, *g);
  }
}

void ModbusAdapter::badRecords(Device& d, const std::vector<uint32_t>& tags, uint32_t code,
                               const std::string& text, PollOutcome& o) {
  const int64_t ts = ctx_.clock->nowUnixNanos();
  for (uint32_t t : tags) {
    model::Record r;
    r.site = ctx_.site;
    r.gateway = ctx_.gateway;
    r.adapter = ctx_.name;
    r.device = d.cfg->name;
    r.tag = d.cfg->tags[t].tag;
    r.source_ts_ns = r.gateway_ts_ns = ts;
    r.quality = model::Quality::bad(code, text);
    o.records.push_back(std::move(r));
  }
  o.bad += tags.size();
}

asio::awaitable<void> ModbusAdapter::poll(Device& d, Group& g) {
  const auto start = Clock::now();
  replan(d, g);
  auto plan = g.plan;  // learning during the poll re-plans for the next one
  PollOutcome o;
  o.records.reserve(g.items.size());
  for (const auto& read : *plan) {
    if (o.link_down) {
      badRecords(d, read.tags, quality::kNotConnected, "connection lost", o);
      continue;
    }
    if (o.timed_out || o.device_failed) {
      badRecords(d, read.tags, quality::kNotAttempted, "not attempted: the device did not answer",
                 o);
      continue;
    }
    if (read.tags.size() == 1) {
      auto it = d.bad.find(read.tags[0]);
      if (it != d.bad.end() && start < it->second.retry_at) {
        // Known bad: reported bad again without asking the device until retry_at.
        badRecords(d, read.tags, it->second.code, it->second.text, o);
        continue;
      }
    }
    o.session_splits.clear();
    o.session_isolated = 0;
    co_await readAndDecode(d, read.request, read.tags, o);
    if (o.session_isolated > 0 && !o.session_splits.empty()) {
      // The bisection isolated the bad tag(s), which the planner keeps apart anyway: the split
      // points it went through are not needed (once per read, so a device that also refuses a
      // gap keeps them the second time).
      const std::pair<Table, uint32_t> key{read.request.table, read.request.address};
      if (d.pruned_once.insert(key).second) {
        for (const auto& s : o.session_splits) d.learned.splits.erase(s);
        ++d.learned_version;
      }
    }
  }
  counters_.polls->inc();
  counters_.poll_seconds->observe(std::chrono::duration<double>(Clock::now() - start).count());
  finishPoll(d, o);
}

asio::awaitable<void> ModbusAdapter::readAndDecode(Device& d, ReadRequest req,
                                                   std::vector<uint32_t> tags, PollOutcome& o) {
  const auto pdu = buildRead(req);
  auto r = co_await transact(d, pdu);
  if (!r) {
    const auto& e = r.error();
    o.error = e.message;
    switch (e.code) {
      case core::Errc::kTimeout:
        o.timed_out = true;
        badRecords(d, tags, quality::kTimeout, e.message, o);
        break;
      case core::Errc::kInvalidData:
        o.any_response = true;
        badRecords(d, tags, quality::kInvalidResponse, e.message, o);
        break;
      default:
        o.link_down = true;
        badRecords(d, tags, quality::kNotConnected, e.message, o);
        break;
    }
    co_return;
  }
  auto parsed = parseResponse(pdu, *r);
  if (!parsed) {
    counters_.malformed->inc();
    o.any_response = true;
    o.error = parsed.error().message;
    badRecords(d, tags, quality::kInvalidResponse, parsed.error().message, o);
    co_return;
  }
  if (parsed->exception != 0) {
    const uint8_t code = parsed->exception;
    counters_.exceptions->inc();
    const std::string text =
        "exception " + hexCode(code) + " (" + std::string(exceptionName(code)) + ")";
    o.error = text;
    if (code == ex::kGatewayPathUnavailable || code == ex::kGatewayTargetFailed) {
      o.device_failed = true;
      badRecords(d, tags, code, text, o);
      co_return;
    }
    o.any_response = true;
    if (code == ex::kIllegalDataAddress || code == ex::kIllegalDataValue) {
      const auto addr = [&](uint32_t t) { return d.cfg->tags[t].address; };
      if (addr(tags.front()) != addr(tags.back())) {
        // Bisect on a tag boundary (tags are sorted by address) and read both halves now.
        size_t mid = tags.size() / 2;
        while (mid < tags.size() && addr(tags[mid]) == addr(tags[mid - 1])) ++mid;
        if (mid == tags.size()) {
          mid = tags.size() / 2;
          while (mid > 1 && addr(tags[mid]) == addr(tags[mid - 1])) --mid;
        }
        std::vector<uint32_t> left(tags.begin(), tags.begin() + static_cast<std::ptrdiff_t>(mid));
        std::vector<uint32_t> right(tags.begin() + static_cast<std::ptrdiff_t>(mid), tags.end());
        const std::pair<Table, uint32_t> split{req.table, addr(right.front())};
        if (d.learned.splits.insert(split).second) {
          o.session_splits.push_back(split);
          ++d.learned_version;
          counters_.splits->inc();
        }
        auto cover = [&](const std::vector<uint32_t>& part) {
          uint32_t lo = UINT32_MAX, hi = 0;
          for (uint32_t t : part) {
            lo = std::min<uint32_t>(lo, addr(t));
            hi = std::max<uint32_t>(hi, uint32_t{addr(t)} + quantityOf(d.cfg->tags[t].codec()));
          }
          return ReadRequest{req.table, static_cast<uint16_t>(lo), static_cast<uint16_t>(hi - lo)};
        };
        const ReadRequest left_req = cover(left), right_req = cover(right);
        co_await readAndDecode(d, left_req, std::move(left), o);
        if (o.timed_out || o.device_failed || o.link_down) {
          badRecords(d, right, quality::kNotAttempted, "not attempted: the device did not answer",
                     o);
        } else {
          co_await readAndDecode(d, right_req, std::move(right), o);
        }
        co_return;
      }
      // The tag's own read fails: it is bad, read alone and retried later.
      const auto retry = Clock::now() + d.cfg->bad_address_retry;
      for (uint32_t t : tags) {
        if (d.learned.isolated.insert(t).second) ++d.learned_version;
        d.bad[t] = Device::BadTag{retry, code, text};
        ++o.session_isolated;
      }
    }
    badRecords(d, tags, code, text, o);
    co_return;
  }
  o.any_response = true;
  const int64_t ts = ctx_.clock->nowUnixNanos();
  d.last_good_ns = ts;
  counters_.registers->inc(req.count);
  const auto payload = parsed->payload;
  for (uint32_t t : tags) {
    const auto& tag = d.cfg->tags[t];
    const size_t offset = tag.address - req.address;
    model::Record rec;
    rec.site = ctx_.site;
    rec.gateway = ctx_.gateway;
    rec.adapter = ctx_.name;
    rec.device = d.cfg->name;
    rec.tag = tag.tag;
    rec.source_ts_ns = rec.gateway_ts_ns = ts;
    if (isBitTable(req.table)) {
      rec.value = model::Value::ofBool(bitAt(payload, offset));
    } else {
      auto v = decodeRegisters(tag.codec(), payload.subspan(2 * offset));
      if (v) {
        rec.value = std::move(*v);
      } else {
        rec.quality = model::Quality::bad(quality::kInvalidValue, v.error().message);
        ++o.bad;
      }
    }
    o.records.push_back(std::move(rec));
    if (d.bad.erase(t) > 0) {
      d.learned.isolated.erase(t);
      ++d.learned_version;
    }
  }
}

void ModbusAdapter::finishPoll(Device& d, PollOutcome& o) {
  // A clean stop (reconfiguration, shutdown) cut this poll short: its unread tags are not bad.
  if (o.link_down && stopping_ && !(transport_ && transport_->broken())) return;
  const size_t total = o.records.size();
  counters_.tags_bad->inc(o.bad);
  counters_.tags_good->inc(total - std::min(total, o.bad));
  if (!o.records.empty() && ctx_.emitter) ctx_.emitter->emit(std::move(o.records));
  if (o.link_down) return;  // the supervisor reports the connection
  if ((o.timed_out || o.device_failed) && !o.any_response) {
    ++d.consecutive_failures;
    if (d.consecutive_failures >= d.cfg->failures_before_backoff) {
      d.backoff_until = Clock::now() + d.backoff_next;
      d.backoff_next = std::min<std::chrono::nanoseconds>(d.backoff_next * 2, d.cfg->backoff_max);
      if (!d.in_backoff) {
        d.in_backoff = true;
        counters_.devices_backoff->add(1);
      }
      setDeviceState(d, runtime::DeviceState::kFailing, o.error);
    } else {
      setDeviceState(d, runtime::DeviceState::kDegraded, o.error);
    }
    return;
  }
  d.consecutive_failures = 0;
  d.backoff_next = d.cfg->backoff_initial;
  if (d.in_backoff) {
    d.in_backoff = false;
    counters_.devices_backoff->add(-1);
  }
  if (o.bad > 0) {
    setDeviceState(d, runtime::DeviceState::kDegraded, o.error);
  } else {
    d.last_error.clear();
    setDeviceState(d, runtime::DeviceState::kConnected, {});
  }
}

asio::awaitable<core::Status> ModbusAdapter::write(const std::string& device,
                                                   const std::string& tag,
                                                   const model::Value& value) {
  Device* d = nullptr;
  for (auto& dev : devices_) {
    if (dev->cfg->name == device) d = dev.get();
  }
  if (d == nullptr) co_return core::fail(core::Errc::kNotFound, "no device '" + device + "'");
  const ModbusTagConfig* t = nullptr;
  for (const auto& x : d->cfg->tags) {
    if (x.tag == tag) t = &x;
  }
  if (t == nullptr) {
    co_return core::fail(core::Errc::kNotFound, "no tag '" + tag + "' on device '" + device + "'");
  }
  const std::string what = device + "/" + tag;
  if (!d->cfg->writes_enabled) {
    co_return core::fail(core::Errc::kUnsupported,
                         "writes are disabled for device '" + device + "' (writes_enabled: false)");
  }
  if (t->table == Table::kInput || t->table == Table::kDiscreteInput) {
    co_return core::fail(core::Errc::kUnsupported, what + " is in the read-only " +
                                                       std::string(tableName(t->table)) + " table");
  }
  if (!transport_ || transport_->broken()) {
    co_return core::fail(core::Errc::kUnavailable, "not connected");
  }
  auto check = [&](core::Result<std::vector<uint8_t>>& r,
                   const std::vector<uint8_t>& pdu) -> core::Result<Response> {
    if (!r) return core::fail(r.error().wrap("write " + what));
    auto p = parseResponse(pdu, *r);
    if (!p) return core::fail(p.error().wrap("write " + what));
    if (p->exception != 0) {
      counters_.exceptions->inc();
      return core::fail(core::Errc::kInvalidData,
                        "write " + what + ": device answered exception " + hexCode(p->exception) +
                            " (" + std::string(exceptionName(p->exception)) + ")");
    }
    return *p;
  };
  std::vector<uint8_t> pdu;
  const TagCodec codec = t->codec();
  if (t->table == Table::kCoil) {
    auto b = valueToBool(value);
    if (!b) co_return core::fail(b.error().wrap("write " + what));
    pdu = buildWriteSingleCoil(t->address, *b);
  } else if (codec.type == DataType::kBool) {
    // A bit in a holding register: read, modify, write back.
    auto b = valueToBool(value);
    if (!b) co_return core::fail(b.error().wrap("write " + what));
    const auto read = buildRead(ReadRequest{Table::kHolding, t->address, 1});
    auto r = co_await transact(*d, read);
    auto p = check(r, read);
    if (!p) co_return core::fail(p.error());
    TagCodec word = codec;
    word.type = DataType::kUInt16;
    auto current = decodeRegisters(word, p->payload);
    if (!current) co_return core::fail(current.error());
    uint64_t v = *current->get<uint64_t>();
    const uint64_t mask = uint64_t{1} << codec.bit;
    v = *b ? (v | mask) : (v & ~mask);
    auto regs = encodeRegisters(word, model::Value::ofUInt64(v));
    if (!regs) co_return core::fail(regs.error());
    pdu = buildWriteSingleRegister(t->address, (*regs)[0]);
  } else {
    auto regs = encodeRegisters(codec, value);
    if (!regs) co_return core::fail(regs.error().wrap("write " + what));
    pdu = regs->size() == 1 ? buildWriteSingleRegister(t->address, (*regs)[0])
                            : buildWriteMultipleRegisters(t->address, *regs);
  }
  auto r = co_await transact(*d, pdu);
  auto p = check(r, pdu);
  if (!p) co_return core::fail(p.error());
  SF_LOG_INFO("modbus", "wrote tag", {{"adapter", ctx_.name}, {"tag", what}});
  co_return core::ok();
}

}  // namespace sf::modbus
