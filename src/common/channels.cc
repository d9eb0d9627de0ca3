#include "common/channels.h"

#include <array>
#include <string>
#include <utility>

namespace tp {
namespace {

constexpr std::array kChannels = {Channel::kEmail,    Channel::kPhone,   Channel::kSms,    Channel::kWhatsapp,
                                  Channel::kMessenger, Channel::kTelegram, Channel::kWebchat, Channel::kWeb,
                                  Channel::kMobile,   Channel::kServer,  Channel::kOther};

constexpr std::array<std::pair<std::string_view, Channel>, 9> kSynonyms = {{
    {"browser", Channel::kWeb},
    {"ios", Channel::kMobile},
    {"android", Channel::kMobile},
    {"app", Channel::kMobile},
    {"chat", Channel::kWebchat},
    {"livechat", Channel::kWebchat},
    {"call", Channel::kPhone},
    {"voice", Channel::kPhone},
    {"mail", Channel::kEmail},
}};

}  // namespace

std::span<const Channel> AllChannels() { return kChannels; }

Result<Channel> ParseChannel(std::string_view name, std::string_view field) {
  std::string lower;
  for (const char c : name) lower += (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c;
  for (const Channel channel : kChannels) {
    if (ChannelName(channel) == lower) return channel;
  }
  for (const auto& [synonym, channel] : kSynonyms) {
    if (synonym == lower) return channel;
  }
  std::string accepted;
  for (const Channel channel : kChannels) {
    accepted += accepted.empty() ? "" : ", ";
    accepted += ChannelName(channel);
  }
  return InvalidArgument(std::string(field) + " must be one of " + accepted, std::string(field));
}

}  // namespace tp
