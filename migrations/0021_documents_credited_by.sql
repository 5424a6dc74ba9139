-- "Which credit note voids this invoice?" (`cs_billing::documents::credited_by`)
-- is asked for every document the portal is sent; without an index each
-- question scanned every document.
CREATE INDEX documents_by_credited ON documents(credits_document_id)
    WHERE credits_document_id IS NOT NULL;
