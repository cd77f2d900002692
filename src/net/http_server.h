#pragma once
// HttpServer: a small HTTP/1.1 server on Asio coroutines for /metrics, /healthz, /readyz and,
// later, the control plane's REST API. It owns one io_context and one thread; handlers run on
// that thread one request at a time per connection and must not block for long.
// Thread-safe: routes are registered before start(); start()/stop() from one owner thread.

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "core/metrics.h"
#include "core/result.h"

namespace sf::net {

struct HttpRequest {
  std::string method;
  std::string target;  // path plus query
  std::string path;
  std::string query;
  std::map<std::string, std::string> headers;  // lower-cased names
  std::string body;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::map<std::string, std::string> headers;
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

class HttpServer {
 public:
  HttpServer();
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Exact-path route for a method ("GET", "POST", ...).
  void route(const std::string& method, const std::string& path, HttpHandler handler);

  // Adds /metrics (from `registry`), /healthz (process alive) and /readyz (`ready()` true).
  void addStandardRoutes(const core::MetricsRegistry& registry, std::function<bool()> ready);

  // Binds host:port (port 0 picks a free one) and serves on a background thread.
  core::Status start(const std::string& host, uint16_t port);
  void stop();
  uint16_t port() const { return port_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::map<std::string, HttpHandler> routes_;  // "GET /metrics"
  std::atomic<uint16_t> port_{0};
};

// Splits "host:port" (also "[::1]:port"); an empty host means all interfaces.
core::Result<std::pair<std::string, uint16_t>> parseHostPort(const std::string& text);

}  // namespace sf::net
