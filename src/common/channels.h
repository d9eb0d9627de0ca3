// The one vocabulary of channels: the ways a customer and the company reach each other. Cases record
// the channel a problem came in on, events the channel they happened in, and a customer's channel
// handles (profiles/identifiers.h) are named after the channel they address, so "whatsapp" means the
// same thing everywhere and a later channel (SMS, a portal) is added here once.
//
//   TP_ASSIGN_OR_RETURN(Channel channel, ParseChannel("WhatsApp"));   // Channel::kWhatsapp
//   ChannelName(Channel::kWebchat) == "webchat"
#pragma once

#include <span>
#include <string_view>

#include "common/status.h"

namespace tp {

enum class Channel {
  kEmail,
  kPhone,
  kSms,
  kWhatsapp,
  kMessenger,
  kTelegram,
  kWebchat,  // the live-chat widget on the company's site
  kWeb,      // the company's web site or app in a browser (page views)
  kMobile,   // the company's mobile app (screen views)
  kServer,   // the company's own systems (server-side tracking, imports)
  kOther,
};

// "email", "phone", "sms", "whatsapp", ..., "other". constexpr so that tables can be built from it.
constexpr std::string_view ChannelName(Channel channel) {
  switch (channel) {
    case Channel::kEmail: return "email";
    case Channel::kPhone: return "phone";
    case Channel::kSms: return "sms";
    case Channel::kWhatsapp: return "whatsapp";
    case Channel::kMessenger: return "messenger";
    case Channel::kTelegram: return "telegram";
    case Channel::kWebchat: return "webchat";
    case Channel::kWeb: return "web";
    case Channel::kMobile: return "mobile";
    case Channel::kServer: return "server";
    case Channel::kOther: return "other";
  }
  return "other";
}

std::span<const Channel> AllChannels();
// A channel's name in any letter case, or a synonym sources use: "browser" (Segment's analytics.js) is
// web; "ios", "android" and "app" are mobile; "chat" and "livechat" are webchat; "call" and "voice" are
// phone; "mail" is email. kInvalidArgument naming `field` and listing the names otherwise.
Result<Channel> ParseChannel(std::string_view name, std::string_view field = "channel");

}  // namespace tp
