#include "dataplane/adapters/modbus/plan.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace sf::modbus {

PlanLimits limitsOf(const ModbusDeviceConfig& d) {
  PlanLimits l;
  l.max_registers = std::min(d.max_read_registers, kMaxReadRegisters);
  l.max_bits = std::min(d.max_read_bits, kMaxReadBits);
  l.gap_registers = d.max_gap_registers;
  l.gap_bits = d.max_gap_bits;
  l.coalesce = d.coalesce;
  return l;
}

std::vector<PlannedRead> planReads(std::vector<PlanItem> items, const PlanLimits& limits,
                                   const Learned& learned) {
  std::sort(items.begin(), items.end(), [](const PlanItem& a, const PlanItem& b) {
    if (a.table != b.table) return a.table < b.table;
    if (a.address != b.address) return a.address < b.address;
    return a.tag < b.tag;
  });
  std::vector<PlannedRead> out;
  PlannedRead* open = nullptr;
  uint32_t open_end = 0;  // one past the last address the open read covers
  bool open_isolated = false;
  for (const auto& it : items) {
    const bool bits = isBitTable(it.table);
    const uint32_t max = bits ? limits.max_bits : limits.max_registers;
    const uint32_t gap = bits ? limits.gap_bits : limits.gap_registers;
    const uint32_t end = uint32_t{it.address} + it.quantity;
    const bool isolated = learned.isolated.count(it.tag) != 0;
    bool join = open != nullptr && limits.coalesce && !isolated && !open_isolated &&
                open->request.table == it.table;
    if (join) {
      const uint32_t start = open->request.address;
      const uint32_t new_end = std::max(open_end, end);
      if (new_end - start > max) join = false;
      if (it.address > open_end && it.address - open_end > gap) join = false;
      // A learned split between the open read's first tag and this one.
      auto s = learned.splits.upper_bound({it.table, start});
      if (s != learned.splits.end() && s->first == it.table && s->second <= it.address) {
        join = false;
      }
    }
    if (join) {
      open_end = std::max(open_end, end);
      open->request.count = static_cast<uint16_t>(open_end - open->request.address);
      open->tags.push_back(it.tag);
      continue;
    }
    out.push_back(PlannedRead{ReadRequest{it.table, it.address, it.quantity}, {it.tag}});
    open = &out.back();
    open_end = end;
    open_isolated = isolated;
  }
  return out;
}

std::vector<PlanItem> planItems(const ModbusDeviceConfig& d, const std::string& group) {
  std::vector<PlanItem> items;
  const bool want_default = group.empty() || group == kDefaultGroup;
  for (size_t i = 0; i < d.tags.size(); ++i) {
    const auto& t = d.tags[i];
    const bool is_default = t.poll_group.empty() || t.poll_group == kDefaultGroup;
    if (want_default ? !is_default : t.poll_group != group) continue;
    items.push_back(PlanItem{static_cast<uint32_t>(i), t.table, t.address, quantityOf(t.codec())});
  }
  return items;
}

std::vector<std::string> groupsOf(const ModbusDeviceConfig& d) {
  std::vector<std::string> groups;
  bool has_default = false;
  for (const auto& t : d.tags) {
    if (t.poll_group.empty() || t.poll_group == kDefaultGroup) {
      has_default = true;
    } else if (std::find(groups.begin(), groups.end(), t.poll_group) == groups.end()) {
      groups.push_back(t.poll_group);
    }
  }
  if (has_default) groups.insert(groups.begin(), std::string(kDefaultGroup));
  return groups;
}

std::vector<GroupPlan> planAdapter(const ModbusCommonConfig& c) {
  std::vector<GroupPlan> plans;
  for (const auto& d : c.devices) {
    for (const auto& g : groupsOf(d)) {
      GroupPlan p;
      p.device = d.name;
      p.unit_id = d.unit_id;
      p.group = g;
      p.interval_ms = groupInterval(c, g).count();
      auto items = planItems(d, g);
      p.tags = items.size();
      p.reads = planReads(std::move(items), limitsOf(d));
      plans.push_back(std::move(p));
    }
  }
  return plans;
}

std::string describePlan(const ModbusCommonConfig& c, const std::vector<GroupPlan>& plans) {
  std::string out;
  char line[256];
  size_t total_reads = 0, total_tags = 0;
  double per_second = 0;
  for (const auto& p : plans) {
    std::snprintf(
        line, sizeof line, "device %s (unit %u) group %s every %lld ms: %zu tags in %zu %s\n",
        p.device.c_str(), p.unit_id, p.group.c_str(), static_cast<long long>(p.interval_ms), p.tags,
        p.reads.size(), p.reads.size() == 1 ? "request" : "requests");
    out += line;
    const ModbusDeviceConfig* dev = nullptr;
    for (const auto& d : c.devices) {
      if (d.name == p.device) dev = &d;
    }
    for (const auto& r : p.reads) {
      std::string names;
      for (size_t i = 0; i < r.tags.size(); ++i) {
        if (i) names += ", ";
        if (i == 8) {
          names += "... (" + std::to_string(r.tags.size() - 8) + " more)";
          break;
        }
        names += dev ? dev->tags[r.tags[i]].tag : std::to_string(r.tags[i]);
      }
      std::snprintf(line, sizeof line, "  FC%u %-14s %5u +%-4u ", readFunction(r.request.table),
                    std::string(tableName(r.request.table)).c_str(), r.request.address,
                    r.request.count);
      out += line + names + "\n";
    }
    total_reads += p.reads.size();
    total_tags += p.tags;
    if (p.interval_ms > 0)
      per_second += 1000.0 * static_cast<double>(p.reads.size()) / p.interval_ms;
  }
  std::snprintf(line, sizeof line, "total: %zu tags, %zu requests per round, %.1f requests/s\n",
                total_tags, total_reads, per_second);
  out += line;
  return out;
}

std::string planJson(const ModbusCommonConfig& c, const std::vector<GroupPlan>& plans) {
  nlohmann::ordered_json j = nlohmann::ordered_json::array();
  for (const auto& p : plans) {
    const ModbusDeviceConfig* dev = nullptr;
    for (const auto& d : c.devices) {
      if (d.name == p.device) dev = &d;
    }
    nlohmann::ordered_json g;
    g["device"] = p.device;
    g["unit_id"] = p.unit_id;
    g["group"] = p.group;
    g["interval_ms"] = p.interval_ms;
    g["tags"] = p.tags;
    g["requests"] = nlohmann::ordered_json::array();
    for (const auto& r : p.reads) {
      nlohmann::ordered_json q;
      q["function"] = readFunction(r.request.table);
      q["table"] = std::string(tableName(r.request.table));
      q["address"] = r.request.address;
      q["count"] = r.request.count;
      auto names = nlohmann::ordered_json::array();
      for (auto t : r.tags) names.push_back(dev ? dev->tags[t].tag : std::to_string(t));
      q["tags"] = names;
      g["requests"].push_back(q);
    }
    j.push_back(g);
  }
  return j.dump(2);
}

}  // namespace sf::modbus
