#include "cases/attachments.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "common/crypto.h"
#include "common/ids.h"
#include "profiles/text.h"
#include "store/sql_params.h"

namespace tp::cases {
namespace {

using store::Sql;
using store::SqlParams;

constexpr std::string_view kAttachmentIdPrefix = "att_";

constexpr std::string_view kInsertAttachment =
    "INSERT INTO case_attachments (tenant_id, id, message_id, case_id, customer_id, file_name, content_type, size, "
    "sha256, created_at) VALUES ($1, $2, NULL, $3, (SELECT customer_id FROM cases WHERE tenant_id = $1 AND id = $3), "
    "$4, $5, $6, $7, $8)";
// The same bytes uploaded twice keep the first copy.
constexpr std::string_view kInsertContent =
    "INSERT INTO attachment_contents (tenant_id, sha256, size, content_base64, created_at) VALUES ($1, $2, $3, $4, $5) "
    "ON CONFLICT (tenant_id, sha256) DO NOTHING";
constexpr std::string_view kAttachmentColumns =
    "SELECT id, case_id, message_id, file_name, content_type, size, sha256, created_at FROM case_attachments "
    "WHERE tenant_id = $1 AND ";
constexpr std::string_view kSelectContent =
    "SELECT content_base64 FROM attachment_contents WHERE tenant_id = $1 AND sha256 = $2";
constexpr std::string_view kLinkAttachment =
    "UPDATE case_attachments SET message_id = $3 WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kDeleteOrphans =
    "DELETE FROM attachment_contents WHERE tenant_id = $1 AND NOT EXISTS (SELECT 1 FROM case_attachments a "
    "WHERE a.tenant_id = attachment_contents.tenant_id AND a.sha256 = attachment_contents.sha256)";

// What a type's bytes start with; text types are checked as UTF-8 instead.
struct AllowedType {
  std::string_view media_type;
  std::string_view magic;   // empty: text
  std::size_t magic_at = 0;
};
constexpr std::array kAllowedTypes = {
    AllowedType{"application/pdf", "%PDF-"},
    AllowedType{"image/png", "\x89PNG\r\n\x1a\n"},
    AllowedType{"image/jpeg", "\xff\xd8\xff"},
    AllowedType{"image/gif", "GIF8"},
    AllowedType{"image/webp", "WEBP", 8},
    AllowedType{"application/zip", "PK\x03\x04"},
    // Office documents are ZIP containers.
    AllowedType{"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "PK\x03\x04"},
    AllowedType{"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "PK\x03\x04"},
    AllowedType{"application/vnd.openxmlformats-officedocument.presentationml.presentation", "PK\x03\x04"},
    AllowedType{"application/vnd.oasis.opendocument.text", "PK\x03\x04"},
    AllowedType{"application/vnd.oasis.opendocument.spreadsheet", "PK\x03\x04"},
    AllowedType{"text/plain", ""},
    AllowedType{"text/csv", ""},
    AllowedType{"message/rfc822", ""},
};

// Programs, scripts, and documents a browser or an office suite would run code from.
constexpr std::array<std::string_view, 31> kRefusedExtensions = {
    "exe", "com", "bat", "cmd", "scr", "pif", "msi", "msp", "dll", "cpl", "jar", "js",  "jse", "mjs", "vbs", "vbe",
    "wsf", "wsh", "ps1", "psm1", "hta", "lnk", "sh", "app", "apk", "html", "htm", "xhtml", "svg", "docm", "xlsm"};

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// "Text/CSV; charset=utf-8" → "text/csv".
std::string BareMediaType(std::string_view declared) {
  const std::string_view type = declared.substr(0, declared.find(';'));
  const auto first = type.find_first_not_of(" \t");
  if (first == std::string_view::npos) return "";
  return Lower(type.substr(first, type.find_last_not_of(" \t") - first + 1));
}

// The name as kept, or why it is refused.
Result<std::string> CheckFileName(std::string_view file_name) {
  TP_ASSIGN_OR_RETURN(std::string clean, profiles::CleanLine(file_name, "file_name", kMaxFileNameBytes, true));
  if (clean.size() > kMaxFileNameBytes) return InvalidArgument("the file name is too long", "file_name");
  if (clean.find_first_of("/\\\"") != std::string::npos) {
    return InvalidArgument("a file name has no slashes, backslashes or quotes", "file_name");
  }
  const auto dot = clean.rfind('.');
  if (dot == std::string::npos) return clean;
  const std::string extension = Lower(std::string_view(clean).substr(dot + 1));
  if (std::find(kRefusedExtensions.begin(), kRefusedExtensions.end(), extension) != kRefusedExtensions.end()) {
    return InvalidArgument("." + extension + " files can run code and are not accepted; send them zipped or as PDF",
                           "file_name");
  }
  return clean;
}

Result<Attachment> AttachmentFromRow(const store::Row& row) {
  return Attachment{.id = row.Text(0),
                    .case_id = row.Text(1),
                    .message_id = row.OptionalText(2),
                    .file_name = row.Text(3),
                    .content_type = row.Text(4),
                    .size = row.Int(5),
                    .sha256 = row.Text(6),
                    .created_at = row.Int(7)};
}

}  // namespace

Result<CheckedUpload> CheckAttachment(const NewAttachment& upload) {
  TP_ASSIGN_OR_RETURN(std::string file_name, CheckFileName(upload.file_name));
  if (upload.content.empty()) return InvalidArgument("the file is empty", "content");
  if (upload.content.size() > kMaxAttachmentBytes) {
    return Status(ErrorCode::kPayloadTooLarge,
                  "an attachment has at most " + std::to_string(kMaxAttachmentBytes >> 20) + " MiB", "content");
  }
  const std::string media_type = BareMediaType(upload.content_type);
  const auto allowed = std::find_if(kAllowedTypes.begin(), kAllowedTypes.end(),
                                    [&](const AllowedType& type) { return type.media_type == media_type; });
  if (allowed == kAllowedTypes.end()) {
    return Status(ErrorCode::kUnsupportedMedia,
                  "attachments are PDF, PNG, JPEG, GIF, WebP, ZIP, office documents, plain text, CSV or e-mail",
                  "content_type");
  }
  if (allowed->magic.empty()) {
    if (!profiles::CheckFreeText(upload.content, "content", kMaxAttachmentBytes).ok() ||
        upload.content.find('\0') != std::string::npos) {
      return InvalidArgument("the content is not UTF-8 text, as " + media_type + " must be", "content");
    }
  } else if (upload.content.compare(allowed->magic_at, allowed->magic.size(), allowed->magic) != 0) {
    return InvalidArgument("the content is not " + media_type, "content");
  }
  return CheckedUpload{.file_name = std::move(file_name), .content_type = media_type};
}

Result<Attachment> UploadAttachment(store::TenantTx& tx, std::string_view case_id, const NewAttachment& upload) {
  TP_ASSIGN_OR_RETURN(CheckedUpload checked, CheckAttachment(upload));
  TP_ASSIGN_OR_RETURN(std::optional<store::Row> owner,
                      tx.QueryOne("SELECT id FROM cases WHERE tenant_id = $1 AND id = $2", {std::string(case_id)}));
  if (!owner) return NotFound("no such case");
  Attachment stored{.id = NewId(kAttachmentIdPrefix),
                    .case_id = std::string(case_id),
                    .file_name = std::move(checked.file_name),
                    .content_type = std::move(checked.content_type),
                    .size = static_cast<std::int64_t>(upload.content.size()),
                    .sha256 = Sha256Hex(upload.content),
                    .created_at = NowMicros()};
  TP_RETURN_IF_ERROR(
      tx.Execute(kInsertContent, {stored.sha256, stored.size, Base64Encode(upload.content), stored.created_at}).status());
  TP_RETURN_IF_ERROR(tx.Execute(kInsertAttachment, {stored.id, stored.case_id, stored.file_name, stored.content_type,
                                                    stored.size, stored.sha256, stored.created_at})
                         .status());
  return stored;
}

Result<Attachment> GetAttachment(store::TenantTx& tx, std::string_view attachment_id) {
  if (!LooksLikeId(attachment_id, kAttachmentIdPrefix)) return NotFound("no such attachment");
  TP_ASSIGN_OR_RETURN(std::optional<store::Row> row,
                      tx.QueryOne(Sql({kAttachmentColumns, "id = $2"}), {std::string(attachment_id)}));
  if (!row) return NotFound("no such attachment");
  return AttachmentFromRow(*row);
}

Result<std::string> ReadAttachmentContent(store::TenantTx& tx, const Attachment& attachment) {
  TP_ASSIGN_OR_RETURN(std::optional<store::Row> row, tx.QueryOne(kSelectContent, {attachment.sha256}));
  std::string content;
  if (!row || !Base64Decode(row->Text(0), content)) return NotFound("no such attachment");
  return content;
}

Result<std::vector<Attachment>> ListCaseAttachments(store::TenantTx& tx, std::string_view case_id) {
  TP_ASSIGN_OR_RETURN(store::Rows rows,
                      tx.Query(Sql({kAttachmentColumns, "case_id = $2 ORDER BY id"}), {std::string(case_id)}));
  std::vector<Attachment> out;
  for (const store::Row& row : rows) {
    TP_ASSIGN_OR_RETURN(Attachment attachment, AttachmentFromRow(row));
    out.push_back(std::move(attachment));
  }
  return out;
}

Result<std::vector<Attachment>> LinkAttachments(store::TenantTx& tx, std::string_view case_id,
                                                std::string_view message_id, const std::vector<std::string>& ids) {
  if (ids.size() > kMaxAttachmentsPerMessage) {
    return InvalidArgument("a message has at most " + std::to_string(kMaxAttachmentsPerMessage) + " attachments",
                           "attachment_ids");
  }
  std::vector<Attachment> linked;
  for (const std::string& id : ids) {
    Result<Attachment> attachment = GetAttachment(tx, id);
    if (!attachment.ok() || attachment->case_id != case_id || attachment->message_id) {
      return InvalidArgument(id + " is not an unsent upload of this case", "attachment_ids");
    }
    TP_RETURN_IF_ERROR(tx.Execute(kLinkAttachment, {id, std::string(message_id)}).status());
    attachment->message_id = std::string(message_id);
    linked.push_back(std::move(*attachment));
  }
  return linked;
}

Result<std::int64_t> DeleteOrphanedAttachmentContents(store::TenantTx& tx) { return tx.Execute(kDeleteOrphans, {}); }

}  // namespace tp::cases
