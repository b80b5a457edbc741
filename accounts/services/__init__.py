"""Every write about accounts: one function per action, keyword arguments, one transaction.

`family` (consents, legal documents, profile, children, the family log), `invitations` (delegates and the
office's change of the adult of reference), `mfa` (the code e-mailed to staff before they activate TOTP),
`activation` (families imported from the Comune's records: codes, letters, claims), `retention` (never-verified
accounts deleted after the office's period). Errors are in accounts.errors, reads in accounts.selectors.
"""

from .activation import (
    CODE_LENGTH,
    CODE_VALIDITY,
    MAX_FAILED_ATTEMPTS,
    ClaimedChildren,
    activation_code_generate,
    activation_code_is_well_formed,
    activation_code_normalize,
    activation_letter_issue,
    imported_family_auto_claim,
    imported_family_claim,
    imported_family_identity_claim,
)
from .family import (
    child_add,
    consent_accept,
    family_event_record,
    family_summary_invalidate,
    family_summary_invalidate_all,
    legal_document_publish,
    legal_documents_cache_clear,
    user_password_retire,
    user_profile_update,
)
from .invitations import (
    delegate_revoke,
    invitation_accept,
    invitation_check,
    invitation_create,
    invitation_decline,
    invitation_revoke,
    reference_change,
)
from .mfa import (
    STAFF_MFA_CODE_LENGTH,
    STAFF_MFA_CODE_VALIDITY,
    authenticator_remove_by_office,
    staff_mfa_code_send,
    staff_mfa_code_verify,
    staff_mfa_confirmation_consume,
    staff_mfa_confirmation_is_valid,
    staff_mfa_email_for_user,
)
from .retention import user_unverified_purge

__all__ = [
    "CODE_LENGTH",
    "CODE_VALIDITY",
    "MAX_FAILED_ATTEMPTS",
    "STAFF_MFA_CODE_LENGTH",
    "STAFF_MFA_CODE_VALIDITY",
    "ClaimedChildren",
    "activation_code_generate",
    "activation_code_is_well_formed",
    "activation_code_normalize",
    "activation_letter_issue",
    "authenticator_remove_by_office",
    "child_add",
    "consent_accept",
    "delegate_revoke",
    "family_event_record",
    "family_summary_invalidate",
    "family_summary_invalidate_all",
    "imported_family_auto_claim",
    "imported_family_claim",
    "imported_family_identity_claim",
    "invitation_accept",
    "invitation_check",
    "invitation_create",
    "invitation_decline",
    "invitation_revoke",
    "legal_document_publish",
    "legal_documents_cache_clear",
    "reference_change",
    "staff_mfa_code_send",
    "staff_mfa_code_verify",
    "staff_mfa_confirmation_consume",
    "staff_mfa_confirmation_is_valid",
    "staff_mfa_email_for_user",
    "user_password_retire",
    "user_profile_update",
    "user_unverified_purge",
]
