// Reply and note drafts per case, in sessionStorage: they outlive a reload and a sign-in after the
// session expired (same tab), and leave with the tab.
const key = (caseId: string, kind: string) => `tp.draft.${caseId}.${kind}`;

export function loadDraft(caseId: string, kind: string): string {
  return sessionStorage.getItem(key(caseId, kind)) ?? '';
}

export function saveDraft(caseId: string, kind: string, text: string): void {
  if (text) sessionStorage.setItem(key(caseId, kind), text);
  else sessionStorage.removeItem(key(caseId, kind));
}
