// Files attached to case messages: uploaded first (UploadAttachment, as a help desk's reply box does),
// then linked to the message that sends them (conversation.h). The content is kept once per tenant
// under its SHA-256 (the same screenshot sent to three cases is stored once) in the same transaction as
// its record, so an acknowledged upload is committed and an erased customer's files go with them.
//
// What is accepted is checked, not believed: the declared type must be one of kAllowedTypes and the
// bytes must look like it (a PDF starts with %PDF-, a PNG with its signature; text is valid UTF-8
// without NUL bytes), and names of programs and scripts (.exe, .js, .html, …) are refused whatever
// their content. Downloads always go out as `Content-Disposition: attachment` with the checked type
// and `nosniff` (api/), so an upload can never run in touchpoint's origin.
//
//   TP_ASSIGN_OR_RETURN(Attachment shot, UploadAttachment(tx, case_id, {.file_name = "parcel.png",
//                                                                       .content_type = "image/png",
//                                                                       .content = bytes}));
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "store/store.h"

namespace tp::cases {

inline constexpr std::size_t kMaxAttachmentBytes = std::size_t{10} << 20;  // 10 MiB, as Zendesk's default
inline constexpr std::size_t kMaxAttachmentsPerMessage = 10;
inline constexpr std::size_t kMaxFileNameBytes = 255;

struct Attachment {
  std::string id;  // "att_…"
  std::string case_id;
  std::optional<std::string> message_id;  // empty until a message sends it
  std::string file_name;
  std::string content_type;  // as checked, e.g. "image/png", "text/plain"
  std::int64_t size = 0;
  std::string sha256;  // hex
  Micros created_at = 0;
};

struct NewAttachment {
  std::string file_name;
  std::string content_type;  // the declared media type; parameters such as charset are ignored
  std::string content;       // the bytes
};

// What an upload is kept as: its cleaned file name and the media type its declared type names.
struct CheckedUpload {
  std::string file_name;
  std::string content_type;
};
// The upload as it is kept, or kUnsupportedMedia (field "content_type") for
// a type outside the allowed list; kInvalidArgument (field "content") when the bytes do not look like
// it; kInvalidArgument (field "file_name") for an empty, over-long or control-character name or a
// program or script extension; kPayloadTooLarge (field "content") over kMaxAttachmentBytes, and
// kInvalidArgument for an empty file. Pure: the checks UploadAttachment makes before writing.
Result<CheckedUpload> CheckAttachment(const NewAttachment& upload);

// Stores the upload for case `case_id` (kNotFound when the tenant has no such case), not yet linked to
// a message. Who uploaded it is the author of the message that sends it.
Result<Attachment> UploadAttachment(store::TenantTx& tx, std::string_view case_id, const NewAttachment& upload);
Result<Attachment> GetAttachment(store::TenantTx& tx, std::string_view attachment_id);
// The bytes of an attachment (kNotFound as GetAttachment).
Result<std::string> ReadAttachmentContent(store::TenantTx& tx, const Attachment& attachment);
// A case's attachments, sent or not, in upload order.
Result<std::vector<Attachment>> ListCaseAttachments(store::TenantTx& tx, std::string_view case_id);
// Links uploads of case `case_id` to message `message_id`: kInvalidArgument (field "attachment_ids") for
// an id that is not an unsent upload of that case, or more than kMaxAttachmentsPerMessage.
Result<std::vector<Attachment>> LinkAttachments(store::TenantTx& tx, std::string_view case_id,
                                                std::string_view message_id, const std::vector<std::string>& ids);
// Deletes stored contents no attachment refers to any more (after an erasure deleted attachments).
Result<std::int64_t> DeleteOrphanedAttachmentContents(store::TenantTx& tx);

}  // namespace tp::cases
