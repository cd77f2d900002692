#pragma once
// Internal: name tables for the model's enums (enum value == index). Not part of the API.

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#include "core/result.h"

namespace sf::model::detail {

template <size_t N, class E>
std::string_view nameOf(const std::array<std::string_view, N>& names, E e) {
  auto i = static_cast<size_t>(e);
  return i < N ? names[i] : std::string_view("unknown");
}

template <class E, size_t N>
core::Result<E> parseName(const std::array<std::string_view, N>& names, std::string_view name,
                          std::string_view what) {
  for (size_t i = 0; i < N; ++i) {
    if (names[i] == name) return static_cast<E>(i);
  }
  std::string msg = "unknown ";
  msg += what;
  msg += " '";
  msg += name;
  msg += "' (want one of";
  for (size_t i = 0; i < N; ++i) {
    msg += i == 0 ? " " : ", ";
    msg += names[i];
  }
  msg += ")";
  return core::fail(core::Errc::kInvalidData, std::move(msg));
}

}  // namespace sf::model::detail
