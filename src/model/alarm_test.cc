#include "model/alarm.h"

#include <gtest/gtest.h>

namespace sf::model {
namespace {

template <class E, class Name, class Parse>
void expectNamesRoundTrip(int count, Name name, Parse parse) {
  for (int i = 0; i < count; ++i) {
    auto e = static_cast<E>(i);
    auto parsed = parse(name(e));
    ASSERT_TRUE(parsed) << name(e);
    EXPECT_EQ(*parsed, e);
  }
  auto bad = parse("no_such_name");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, core::Errc::kInvalidData);
  EXPECT_NE(bad.error().message.find(std::string(name(static_cast<E>(0)))), std::string::npos)
      << "the error lists the valid names: " << bad.error().message;
}

TEST(AlarmTest, NamesRoundTrip) {
  expectNamesRoundTrip<AlarmCondition>(kAlarmConditionCount, alarmConditionName,
                                       parseAlarmCondition);
  expectNamesRoundTrip<AlarmState>(kAlarmStateCount, alarmStateName, parseAlarmState);
  expectNamesRoundTrip<AlarmTransition>(kAlarmTransitionCount, alarmTransitionName,
                                        parseAlarmTransition);
  expectNamesRoundTrip<SeverityBand>(kSeverityBandCount, severityBandName, parseSeverityBand);
}

TEST(AlarmTest, NamesAreTheDocumentedOnes) {
  EXPECT_EQ(alarmConditionName(AlarmCondition::kHiHi), "hihi");
  EXPECT_EQ(alarmConditionName(AlarmCondition::kRateOfChange), "rate_of_change");
  EXPECT_EQ(alarmStateName(AlarmState::kActiveUnacked), "active_unacked");
  EXPECT_EQ(alarmStateName(AlarmState::kRtnUnacked), "rtn_unacked");
  EXPECT_EQ(alarmTransitionName(AlarmTransition::kReturnToNormal), "return_to_normal");
  EXPECT_EQ(severityBandName(SeverityBand::kCritical), "critical");
  EXPECT_EQ(alarmStateName(static_cast<AlarmState>(200)), "unknown");
}

TEST(AlarmTest, SeverityBands) {
  EXPECT_EQ(severityBand(1), SeverityBand::kLow);
  EXPECT_EQ(severityBand(250), SeverityBand::kLow);
  EXPECT_EQ(severityBand(251), SeverityBand::kMedium);
  EXPECT_EQ(severityBand(500), SeverityBand::kMedium);
  EXPECT_EQ(severityBand(501), SeverityBand::kHigh);
  EXPECT_EQ(severityBand(750), SeverityBand::kHigh);
  EXPECT_EQ(severityBand(751), SeverityBand::kCritical);
  EXPECT_EQ(severityBand(1000), SeverityBand::kCritical);
  EXPECT_EQ(severityBand(-5), SeverityBand::kLow);
  EXPECT_EQ(severityBand(5000), SeverityBand::kCritical);
  for (int b = 0; b < kSeverityBandCount; ++b) {
    auto [lo, hi] = severityBandRange(static_cast<SeverityBand>(b));
    EXPECT_EQ(severityBand(lo), static_cast<SeverityBand>(b));
    EXPECT_EQ(severityBand(hi), static_cast<SeverityBand>(b));
  }
  EXPECT_EQ(severityBandRange(SeverityBand::kHigh), std::make_pair(uint16_t{501}, uint16_t{750}));
  EXPECT_FALSE(isValidSeverity(0));
  EXPECT_TRUE(isValidSeverity(1));
  EXPECT_TRUE(isValidSeverity(1000));
  EXPECT_FALSE(isValidSeverity(1001));
}

TEST(AlarmTest, Isa182StateMachine) {
  using S = AlarmState;
  using T = AlarmTransition;
  EXPECT_EQ(nextAlarmState(S::kNormal, T::kActivate), S::kActiveUnacked);
  EXPECT_EQ(nextAlarmState(S::kActiveUnacked, T::kAcknowledge), S::kActiveAcked);
  EXPECT_EQ(nextAlarmState(S::kActiveUnacked, T::kReturnToNormal), S::kRtnUnacked);
  EXPECT_EQ(nextAlarmState(S::kActiveAcked, T::kReturnToNormal), S::kNormal);
  EXPECT_EQ(nextAlarmState(S::kRtnUnacked, T::kAcknowledge), S::kNormal);
  EXPECT_EQ(nextAlarmState(S::kRtnUnacked, T::kActivate), S::kActiveUnacked);

  EXPECT_EQ(nextAlarmState(S::kNormal, T::kAcknowledge), std::nullopt);
  EXPECT_EQ(nextAlarmState(S::kNormal, T::kReturnToNormal), std::nullopt);
  EXPECT_EQ(nextAlarmState(S::kActiveAcked, T::kAcknowledge), std::nullopt);
  EXPECT_EQ(nextAlarmState(S::kActiveAcked, T::kActivate), std::nullopt);
  EXPECT_EQ(nextAlarmState(S::kActiveUnacked, T::kActivate), std::nullopt);
  EXPECT_EQ(nextAlarmState(S::kRtnUnacked, T::kReturnToNormal), std::nullopt);

  for (int s = 0; s < kAlarmStateCount; ++s) {
    for (T t : {T::kShelve, T::kUnshelve, T::kSuppress, T::kUnsuppress, T::kRefresh}) {
      EXPECT_EQ(nextAlarmState(static_cast<S>(s), t), static_cast<S>(s));
    }
  }
  EXPECT_TRUE(isActive(S::kActiveAcked));
  EXPECT_FALSE(isActive(S::kRtnUnacked));
  EXPECT_TRUE(isUnacked(S::kRtnUnacked));
  EXPECT_FALSE(isUnacked(S::kActiveAcked));
}

}  // namespace
}  // namespace sf::model
