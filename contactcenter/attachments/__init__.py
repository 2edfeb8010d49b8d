"""Tickets' attachments: photos and signed forms, checked by their bytes and stored sealed as recordings are."""
