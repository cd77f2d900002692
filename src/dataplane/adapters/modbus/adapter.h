#pragma once
// ModbusAdapter: one connection (a TCP endpoint, or a serial line) and the devices behind it.
//
// Owns the transport (transport.h), a fair request queue per device (round robin between unit
// ids, so one device with many requests or a slow one cannot starve the others on a shared
// link), one poller coroutine per device and poll group, the learned read limits of each device
// (plan.h) and its failure state. Everything runs on the adapter's strand (AdapterContext::
// executor): no locks, no thread per device; only devices() is read from other threads (under
// a mutex).
//
// Polling: each (device, group) is scheduled on multiples of its interval from a staggered
// phase (drift-free); a slot that passes while the previous poll still runs is an overrun,
// counted and skipped, never queued. A slot is also skipped while the ingest is overloaded and
// while the device is backed off. A poll runs the group's planned reads one after the other;
// after exception 02/03 on a merged read it splits the read (bisecting by tag) and re-reads the
// halves in the same poll, remembering the split point, so one bad address marks only its tags
// bad. A timeout aborts the rest of that device's poll (the tags get bad quality) so a silent
// device holds the link for one timeout per poll at most; after failures_before_backoff failed
// polls the device is backed off (exponential), the others keep their schedule.
//
// Records: one telemetry record per tag read, with the response time as source and gateway
// timestamp; bad quality carries the exception code or a quality code from protocol.h. Device
// state changes are `log` records (tag "_device").
//
// Lifecycle (runtime/adapter.h): connect() opens the transport; run() polls until the
// transport breaks (returns the error: the supervisor reconnects, learned state survives) or
// the supervisor cancels it; close() closes the transport and waits for its loops.

#include <asio/awaitable.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "dataplane/adapters/modbus/config.h"
#include "dataplane/adapters/modbus/plan.h"
#include "dataplane/adapters/modbus/transport.h"
#include "dataplane/runtime/adapter.h"

namespace sf::modbus {

// Builds the transport for one connection attempt (a new one per connect()).
using TransportFactory = std::function<std::unique_ptr<Transport>(Executor, Counters&)>;

class ModbusAdapter final : public runtime::Adapter {
 public:
  ModbusAdapter(runtime::AdapterContext ctx, ModbusCommonConfig config, TransportFactory factory);
  ~ModbusAdapter() override;

  asio::awaitable<core::Status> connect() override;
  asio::awaitable<core::Status> run() override;
  asio::awaitable<void> close() override;
  // Writes one tag (raw device value, before pipeline scaling): coils with FC 5, registers with
  // FC 6 (one register) or FC 16, a bit in a register by read-modify-write (FC 3 + FC 6; not
  // atomic against other masters). Refused unless the device has writes_enabled. Must be
  // awaited on the adapter's strand while connected.
  asio::awaitable<core::Status> write(const std::string& device, const std::string& tag,
                                      const model::Value& value) override;
  std::vector<DeviceStatus> devices() const override;

  // Polls every device and group once, right now, and returns when done (CLI `modbus read`,
  // tests). Must be awaited on the strand after connect(), instead of run().
  asio::awaitable<void> pollOnce();

  // The current read plan per device and group, including what was learned (strand only).
  std::vector<GroupPlan> currentPlan() const;
  const Counters& counters() const { return counters_; }

 private:
  struct Job;
  struct Group;
  struct Device;
  struct PollOutcome;

  asio::awaitable<core::Result<std::vector<uint8_t>>> transact(Device& d,
                                                               std::span<const uint8_t> pdu);
  asio::awaitable<void> worker();
  asio::awaitable<void> pollerLoop(Device& d, Group& g, std::chrono::nanoseconds phase);
  asio::awaitable<void> poll(Device& d, Group& g);
  asio::awaitable<void> readAndDecode(Device& d, ReadRequest req, std::vector<uint32_t> tags,
                                      PollOutcome& o);
  void replan(Device& d, Group& g);
  void badRecords(Device& d, const std::vector<uint32_t>& tags, uint32_t code,
                  const std::string& text, PollOutcome& o);
  void finishPoll(Device& d, PollOutcome& o);
  void setDeviceState(Device& d, runtime::DeviceState s, const std::string& error);
  void publishStatus(Device& d);
  void spawn(asio::awaitable<void> task);
  bool overloaded() const;
  void shutdownQueues(const core::Error& e);

  runtime::AdapterContext ctx_;
  ModbusCommonConfig config_;
  TransportFactory factory_;
  Counters counters_;
  std::unique_ptr<Transport> transport_;
  std::vector<std::unique_ptr<Device>> devices_;

  // Fair queue: one FIFO per device, served round robin by maxInFlight() workers.
  std::vector<std::deque<Job*>> queues_;
  size_t rr_ = 0;
  size_t workers_ = 0;
  bool stopping_ = false;
  size_t tasks_ = 0;
  asio::steady_timer idle_;   // workers wait here for jobs (expiry: never)
  asio::steady_timer wake_;   // run() waits here for a broken transport or a stop
  asio::steady_timer drain_;  // run() waits here for its tasks to end

  mutable std::mutex status_mu_;
  std::vector<DeviceStatus> status_;
};

}  // namespace sf::modbus
