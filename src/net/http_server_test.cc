#include "net/http_server.h"

#include <gtest/gtest.h>

#include <asio.hpp>
#include <atomic>

namespace sf::net {
namespace {

std::string rawRequest(uint16_t port, const std::string& request) {
  asio::io_context io;
  asio::ip::tcp::socket sock(io);
  sock.connect({asio::ip::make_address("127.0.0.1"), port});
  asio::write(sock, asio::buffer(request));
  std::string out;
  asio::error_code ec;
  asio::read(sock, asio::dynamic_buffer(out), ec);  // until the server closes
  return out;
}

std::string get(uint16_t port, const std::string& path) {
  return rawRequest(port, "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
}

TEST(HttpServer, StandardRoutes) {
  core::MetricsRegistry reg;
  reg.counter("sf_demo_total", "Demo.").inc(3);
  std::atomic<bool> ready{false};
  HttpServer server;
  server.addStandardRoutes(reg, [&] { return ready.load(); });
  ASSERT_TRUE(server.start("127.0.0.1", 0));
  ASSERT_NE(server.port(), 0);

  auto metrics = get(server.port(), "/metrics");
  EXPECT_NE(metrics.find("HTTP/1.1 200"), std::string::npos);
  EXPECT_NE(metrics.find("sf_demo_total 3"), std::string::npos) << metrics;
  EXPECT_NE(get(server.port(), "/healthz").find("200 OK"), std::string::npos);
  EXPECT_NE(get(server.port(), "/readyz").find("503"), std::string::npos);
  ready = true;
  EXPECT_NE(get(server.port(), "/readyz").find("200 OK"), std::string::npos);
  EXPECT_NE(get(server.port(), "/nope").find("404"), std::string::npos);
  server.stop();
}

TEST(HttpServer, PostBodyAndMalformedRequests) {
  HttpServer server;
  server.route("POST", "/echo", [](const HttpRequest& r) {
    return HttpResponse{200, "text/plain", r.body + "|" + r.query, {}};
  });
  ASSERT_TRUE(server.start("127.0.0.1", 0));
  auto resp =
      rawRequest(server.port(),
                 "POST /echo?a=1 HTTP/1.1\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello");
  EXPECT_NE(resp.find("hello|a=1"), std::string::npos) << resp;
  EXPECT_NE(rawRequest(server.port(), "garbage\r\n\r\n").find("400"), std::string::npos);
  // The server keeps serving after a malformed request.
  EXPECT_NE(get(server.port(), "/nope").find("404"), std::string::npos);
}

TEST(HttpServer, ParseHostPort) {
  auto a = parseHostPort("127.0.0.1:8080");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->first, "127.0.0.1");
  EXPECT_EQ(a->second, 8080);
  auto b = parseHostPort("[::1]:9");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->first, "::1");
  EXPECT_FALSE(parseHostPort("nohost"));
  EXPECT_FALSE(parseHostPort("h:70000"));
}

}  // namespace
}  // namespace sf::net
