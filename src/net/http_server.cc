#include "net/http_server.h"

#include <algorithm>
#include <asio.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <cctype>
#include <charconv>

#include "core/log.h"

namespace sf::net {
namespace {

constexpr size_t kMaxHeaderBytes = 64 * 1024;
constexpr size_t kMaxBodyBytes = 16 * 1024 * 1024;

std::string_view reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 413:
      return "Payload Too Large";
    case 422:
      return "Unprocessable Entity";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return std::string(s);
}

// Parses the request head (up to and excluding the blank line). False on malformed input.
bool parseHead(std::string_view head, HttpRequest& req) {
  auto line_end = head.find("\r\n");
  std::string_view first = head.substr(0, line_end);
  auto sp1 = first.find(' ');
  auto sp2 = first.rfind(' ');
  if (sp1 == std::string_view::npos || sp2 == sp1) return false;
  req.method = std::string(first.substr(0, sp1));
  req.target = std::string(first.substr(sp1 + 1, sp2 - sp1 - 1));
  auto q = req.target.find('?');
  req.path = req.target.substr(0, q);
  req.query = q == std::string::npos ? "" : req.target.substr(q + 1);
  size_t pos = line_end == std::string_view::npos ? head.size() : line_end + 2;
  while (pos < head.size()) {
    auto end = head.find("\r\n", pos);
    if (end == std::string_view::npos) end = head.size();
    auto line = head.substr(pos, end - pos);
    auto colon = line.find(':');
    if (colon == std::string_view::npos) return false;
    req.headers[lower(std::string(line.substr(0, colon)))] = trim(line.substr(colon + 1));
    pos = end + 2;
  }
  return true;
}

}  // namespace

struct HttpServer::Impl {
  asio::io_context io{1};
  std::unique_ptr<asio::ip::tcp::acceptor> acceptor;
  std::thread thread;
};

HttpServer::HttpServer() : impl_(std::make_unique<Impl>()) {}

HttpServer::~HttpServer() { stop(); }

void HttpServer::route(const std::string& method, const std::string& path, HttpHandler handler) {
  routes_[method + " " + path] = std::move(handler);
}

void HttpServer::addStandardRoutes(const core::MetricsRegistry& registry,
                                   std::function<bool()> ready) {
  route("GET", "/metrics", [&registry](const HttpRequest&) {
    HttpResponse r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = registry.renderPrometheus();
    return r;
  });
  route("GET", "/healthz", [](const HttpRequest&) {
    return HttpResponse{200, "text/plain", "ok\n", {}};
  });
  route("GET", "/readyz", [ready = std::move(ready)](const HttpRequest&) {
    bool ok = !ready || ready();
    return HttpResponse{ok ? 200 : 503, "text/plain", ok ? "ready\n" : "not ready\n", {}};
  });
}

core::Status HttpServer::start(const std::string& host, uint16_t port) {
  asio::error_code ec;
  auto address = asio::ip::make_address(host.empty() ? "0.0.0.0" : host, ec);
  if (ec) return core::fail(core::Errc::kInvalidConfig, "bad listen address '" + host + "'");
  asio::ip::tcp::endpoint ep(address, port);
  auto acceptor = std::make_unique<asio::ip::tcp::acceptor>(impl_->io);
  acceptor->open(ep.protocol(), ec);
  if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor->bind(ep, ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return core::fail(core::Errc::kUnavailable, "cannot listen on " + host + ":" +
                                                    std::to_string(port) + ": " + ec.message());
  }
  port_ = acceptor->local_endpoint().port();
  impl_->acceptor = std::move(acceptor);

  auto session = [this](asio::ip::tcp::socket sock) -> asio::awaitable<void> {
    std::string buf;
    for (;;) {
      asio::error_code rec;
      std::size_t head_len = co_await asio::async_read_until(
          sock, asio::dynamic_buffer(buf, kMaxHeaderBytes), "\r\n\r\n",
          asio::redirect_error(asio::use_awaitable, rec));
      if (rec) co_return;
      HttpRequest req;
      HttpResponse resp;
      bool keep_alive = true;
      if (!parseHead(std::string_view(buf).substr(0, head_len - 4), req)) {
        resp = {400, "text/plain", "malformed request\n", {}};
        keep_alive = false;
        buf.clear();
      } else {
        size_t body_len = 0;
        if (auto it = req.headers.find("content-length"); it != req.headers.end()) {
          auto [p, e] =
              std::from_chars(it->second.data(), it->second.data() + it->second.size(), body_len);
          if (e != std::errc()) body_len = kMaxBodyBytes + 1;
        }
        if (body_len > kMaxBodyBytes) {
          resp = {413, "text/plain", "body too large\n", {}};
          keep_alive = false;
          buf.clear();
        } else {
          buf.erase(0, head_len);
          if (buf.size() < body_len) {
            co_await asio::async_read(sock, asio::dynamic_buffer(buf),
                                      asio::transfer_exactly(body_len - buf.size()),
                                      asio::redirect_error(asio::use_awaitable, rec));
            if (rec) co_return;
          }
          req.body = buf.substr(0, body_len);
          buf.erase(0, body_len);
          if (auto it = req.headers.find("connection"); it != req.headers.end()) {
            keep_alive = lower(it->second) != "close";
          }
          auto route_it = routes_.find(req.method + " " + req.path);
          if (route_it == routes_.end()) {
            resp = {404, "text/plain", "not found\n", {}};
          } else {
            resp = route_it->second(req);
          }
        }
      }
      std::string out = "HTTP/1.1 " + std::to_string(resp.status) + " " +
                        std::string(reason(resp.status)) + "\r\n";
      out += "Content-Type: " + resp.content_type + "\r\n";
      out += "Content-Length: " + std::to_string(resp.body.size()) + "\r\n";
      for (const auto& [k, v] : resp.headers) out += k + ": " + v + "\r\n";
      if (!keep_alive) out += "Connection: close\r\n";
      out += "\r\n";
      out += resp.body;
      co_await asio::async_write(sock, asio::buffer(out),
                                 asio::redirect_error(asio::use_awaitable, rec));
      if (rec || !keep_alive) co_return;
    }
  };

  asio::co_spawn(
      impl_->io,
      [this, session]() -> asio::awaitable<void> {
        for (;;) {
          asio::error_code aec;
          auto sock = co_await impl_->acceptor->async_accept(
              asio::redirect_error(asio::use_awaitable, aec));
          if (aec) {
            if (aec == asio::error::operation_aborted) co_return;
            continue;
          }
          asio::co_spawn(impl_->io, session(std::move(sock)), asio::detached);
        }
      },
      asio::detached);
  impl_->thread = std::thread([this] { impl_->io.run(); });
  return core::ok();
}

void HttpServer::stop() {
  if (!impl_->thread.joinable()) return;
  impl_->io.stop();
  impl_->thread.join();
  impl_->acceptor.reset();
}

core::Result<std::pair<std::string, uint16_t>> parseHostPort(const std::string& text) {
  std::string host;
  std::string port_text;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return core::fail(core::Errc::kInvalidConfig, "expected [host]:port, got '" + text + "'");
    }
    host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string::npos) {
      return core::fail(core::Errc::kInvalidConfig, "expected host:port, got '" + text + "'");
    }
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  unsigned port = 0;
  auto [p, e] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (e != std::errc() || p != port_text.data() + port_text.size() || port > 65535) {
    return core::fail(core::Errc::kInvalidConfig, "bad port in '" + text + "'");
  }
  return std::make_pair(host, static_cast<uint16_t>(port));
}

}  // namespace sf::net
