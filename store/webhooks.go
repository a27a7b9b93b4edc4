package store

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// InboxEntry is a received webhook as stored before it is processed. Body is
// the raw request body; the other fields are what could be read from it.
type InboxEntry struct {
	Body        []byte
	Verified    bool
	OrderID     string
	HeleketUUID string
	Status      string
	// DedupeKey, when set, is what identifies the delivery instead of the
	// raw body (heleket.WebhookDedupeKey), so that a replay reworded to
	// slip past a byte comparison is still a duplicate.
	DedupeKey []byte
	// NotPayout marks a webhook of another kind (payment, wallet): its
	// order_id is the merchant's own numbering and may equal a payout's id
	// by chance, so it is never linked to a payout.
	NotPayout bool
}

// Received is what storing a webhook found out.
type Received struct {
	ID        int64
	Duplicate bool   // the same body was stored before
	Processed bool   // ... and was already handled
	PayoutID  string // empty when the order_id matches no payout
}

// InsertWebhook stores a webhook unless the same body was stored before,
// and resolves its order_id to a payout in the same statement (unless
// NotPayout). Heleket resends until it gets a 2xx, so a duplicate is
// normal: it returns the first copy, with whether that copy was processed.
func (s *Store) InsertWebhook(ctx context.Context, w InboxEntry) (Received, error) {
	key := w.DedupeKey
	if key == nil {
		key = w.Body
	}
	sum := sha256.Sum256(key)
	body := w.Body
	if body == nil {
		body = []byte{} // an empty delivery is still evidence
	}
	r := Received{}
	err := s.pool.QueryRow(ctx, `
		INSERT INTO webhook_inbox (body, body_sha256, verified, order_id, heleket_uuid, status, payout_id)
		VALUES ($1, $2, $3, NULLIF($4, ''), NULLIF($5, ''), NULLIF($6, ''),
			CASE WHEN NOT $7 THEN (SELECT id FROM payouts WHERE id = NULLIF($4, '')) END)
		ON CONFLICT (body_sha256) DO NOTHING
		RETURNING id, coalesce(payout_id, '')`,
		body, sum[:], w.Verified, w.OrderID, w.HeleketUUID, w.Status, w.NotPayout).Scan(&r.ID, &r.PayoutID)
	if err == nil {
		return r, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return Received{}, fmt.Errorf("store: insert webhook: %w", err)
	}
	r.Duplicate = true
	err = s.pool.QueryRow(ctx, `
		SELECT id, processed_at IS NOT NULL, coalesce(payout_id, '') FROM webhook_inbox WHERE body_sha256 = $1`,
		sum[:]).Scan(&r.ID, &r.Processed, &r.PayoutID)
	if err != nil {
		return Received{}, fmt.Errorf("store: load duplicate webhook: %w", err)
	}
	return r, nil
}

// MarkWebhookProcessed records that a webhook was handled; errText, if not
// empty, says why handling did not lead to a change.
func (s *Store) MarkWebhookProcessed(ctx context.Context, id int64, errText string) error {
	tag, err := s.pool.Exec(ctx,
		`UPDATE webhook_inbox SET processed_at = now(), error = NULLIF($2, '') WHERE id = $1`, id, errText)
	if err != nil {
		return fmt.Errorf("store: mark webhook %d processed: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("store: mark webhook %d processed: %w", id, ErrNotFound)
	}
	return nil
}
