package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/heleket-payouts/payouts/payout"
)

// encodeDetails gives the jsonb of audit details; nil is stored as NULL.
func encodeDetails(d map[string]any) ([]byte, error) {
	if len(d) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("encode audit details: %w", err)
	}
	return b, nil
}

func insertEvent(ctx context.Context, tx pgx.Tx, e payout.Event) error {
	details, err := encodeDetails(e.Details)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `
		INSERT INTO payout_events (payout_id, from_status, to_status, source, actor, details)
		VALUES ($1, NULLIF($2, ''), $3, $4, $5, $6::jsonb)`,
		e.PayoutID, string(e.From), string(e.To), string(e.Source), e.Actor, details)
	if err != nil {
		return fmt.Errorf("insert audit row: %w", err)
	}
	return nil
}

// Events returns a payout's audit trail, oldest first. Every payout has at
// least its creation row, so an empty trail means ErrNotFound.
func (s *Store) Events(ctx context.Context, payoutID string) ([]payout.Event, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT id, payout_id, coalesce(from_status, ''), to_status, source, actor, details, at
		FROM payout_events WHERE payout_id = $1 ORDER BY id`, payoutID)
	if err != nil {
		return nil, fmt.Errorf("store: events of payout %s: %w", payoutID, err)
	}
	events, err := scanEvents(rows)
	if err != nil {
		return nil, fmt.Errorf("store: events of payout %s: %w", payoutID, err)
	}
	if len(events) == 0 {
		return nil, fmt.Errorf("store: events of payout %s: %w", payoutID, ErrNotFound)
	}
	return events, nil
}

func scanEvents(rows pgx.Rows) ([]payout.Event, error) {
	return collect(rows, scanEvent)
}

func scanEvent(row pgx.CollectableRow) (payout.Event, error) {
	var (
		e                payout.Event
		from, to, source string
		details          []byte
	)
	if err := row.Scan(&e.ID, &e.PayoutID, &from, &to, &source, &e.Actor, &details, &e.At); err != nil {
		return payout.Event{}, err
	}
	e.From, e.To, e.Source = payout.Status(from), payout.Status(to), payout.Source(source)
	var err error
	if e.Details, err = decodeDetails(details); err != nil {
		return payout.Event{}, fmt.Errorf("event %d: %w", e.ID, err)
	}
	return e, nil
}

// decodeDetails keeps JSON numbers as json.Number: amounts must never pass
// through float64.
func decodeDetails(raw []byte) (map[string]any, error) {
	if raw == nil {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("decode details: %w", err)
	}
	return m, nil
}
