package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// EventEndpoint is a receiver of outbound events. Its secret is never read
// back by the API: only the sender loads it (DeliveryJob).
type EventEndpoint struct {
	ID         string     `json:"id"`
	URL        string     `json:"url"`
	EventTypes []string   `json:"events"`
	CreatedBy  string     `json:"created_by"`
	CreatedAt  time.Time  `json:"created_at"`
	DeletedAt  *time.Time `json:"deleted_at,omitempty"`
}

const endpointColumns = `id, url, event_types, created_by, created_at, deleted_at`

func scanEndpoint(row pgx.Row) (EventEndpoint, error) {
	var e EventEndpoint
	err := row.Scan(&e.ID, &e.URL, &e.EventTypes, &e.CreatedBy, &e.CreatedAt, &e.DeletedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return EventEndpoint{}, ErrNotFound
	}
	return e, err
}

// CreateEventEndpoint stores an endpoint and its audit row in one
// statement. Only events written after it commits are delivered to it.
func (s *Store) CreateEventEndpoint(ctx context.Context, url string, types []string, secret, actor string) (EventEndpoint, error) {
	e, err := scanEndpoint(s.pool.QueryRow(ctx, `
		WITH ins AS (
			INSERT INTO event_endpoints (url, event_types, secret, created_by) VALUES ($1, $2, $3, $4)
			RETURNING `+endpointColumns+`
		), ev AS (
			INSERT INTO event_endpoint_events (endpoint_id, action, actor, details)
			SELECT id, 'created', $4, jsonb_build_object('url', url, 'events', event_types) FROM ins
		)
		SELECT * FROM ins`, url, types, secret, actor))
	if err != nil {
		return EventEndpoint{}, fmt.Errorf("store: create event endpoint: %w", err)
	}
	return e, nil
}

// EventEndpoints lists the endpoints not deleted, oldest first.
func (s *Store) EventEndpoints(ctx context.Context) ([]EventEndpoint, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+endpointColumns+` FROM event_endpoints
		WHERE deleted_at IS NULL ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("store: list event endpoints: %w", err)
	}
	out, err := collect(rows, rowTo(scanEndpoint))
	if err != nil {
		return nil, fmt.Errorf("store: list event endpoints: %w", err)
	}
	return out, nil
}

// DeleteEventEndpoint tombstones the endpoint and cancels what it still
// had to receive, with the audit row, in one transaction. Deleting it
// again changes nothing and returns it; ErrNotFound if it never existed.
func (s *Store) DeleteEventEndpoint(ctx context.Context, id, actor string) (EventEndpoint, error) {
	var e EventEndpoint
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		e, err = scanEndpoint(tx.QueryRow(ctx, `SELECT `+endpointColumns+` FROM event_endpoints WHERE id = $1 FOR UPDATE`, id))
		if err != nil || e.DeletedAt != nil {
			return err
		}
		e, err = scanEndpoint(tx.QueryRow(ctx, `UPDATE event_endpoints SET deleted_at = now(), deleted_by = $2
			WHERE id = $1 RETURNING `+endpointColumns, id, actor))
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE event_deliveries SET state = 'cancelled', finished_at = now()
			WHERE endpoint_id = $1 AND state = 'pending'`, id)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO event_endpoint_events (endpoint_id, action, actor, details)
			VALUES ($1, 'deleted', $2, jsonb_build_object('cancelled_deliveries', $3::bigint))`, id, actor, tag.RowsAffected())
		return err
	})
	if err != nil {
		return EventEndpoint{}, fmt.Errorf("store: delete event endpoint %s: %w", id, err)
	}
	return e, nil
}

// OutboundEvent is one event as written by the outbox triggers. Data is
// the snapshot the trigger took (see migration 00016), not yet the view.
type OutboundEvent struct {
	Seq           int64
	ID            string
	Type          string
	PayoutID      string
	BatchID       string
	DiscrepancyID int64
	OrderingKey   string
	Data          json.RawMessage
	CreatedAt     time.Time
}

const outboundColumns = `seq, id, type, coalesce(payout_id, ''), coalesce(batch_id, ''), coalesce(discrepancy_id, 0),
	ordering_key, data, created_at`

func scanOutbound(row pgx.Row) (OutboundEvent, error) {
	var e OutboundEvent
	err := row.Scan(&e.Seq, &e.ID, &e.Type, &e.PayoutID, &e.BatchID, &e.DiscrepancyID, &e.OrderingKey, &e.Data, &e.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return OutboundEvent{}, ErrNotFound
	}
	return e, err
}

// EventFilter selects outbound events. Zero values mean any.
type EventFilter struct {
	Type     string
	PayoutID string
	BatchID  string
	From, To time.Time // created_at: from inclusive, to exclusive
}

// OutboundEvents returns up to limit events matching f, newest first,
// before the seq beforeSeq (0 for the first page), and the seq to pass for
// the next page (0 on the last one).
func (s *Store) OutboundEvents(ctx context.Context, f EventFilter, beforeSeq int64, limit int) ([]OutboundEvent, int64, error) {
	if limit <= 0 {
		return nil, 0, fmt.Errorf("store: list events: limit must be positive, got %d", limit)
	}
	w := &whereClause{}
	if f.Type != "" {
		w.add("type = ?", f.Type)
	}
	if f.PayoutID != "" {
		w.add("payout_id = ?", f.PayoutID)
	}
	if f.BatchID != "" {
		w.add("batch_id = ?", f.BatchID)
	}
	w.period(f.From, f.To)
	if beforeSeq > 0 {
		w.add("seq < ?", beforeSeq)
	}
	w.args = append(w.args, limit+1)
	rows, err := s.pool.Query(ctx, `SELECT `+outboundColumns+` FROM outbound_events`+w.sql()+`
		ORDER BY seq DESC LIMIT $`+strconv.Itoa(len(w.args)), w.args...)
	if err != nil {
		return nil, 0, fmt.Errorf("store: list events: %w", err)
	}
	items, err := collect(rows, rowTo(scanOutbound))
	if err != nil {
		return nil, 0, fmt.Errorf("store: list events: %w", err)
	}
	if len(items) <= limit {
		return items, 0, nil
	}
	items = items[:limit]
	return items, items[limit-1].Seq, nil
}

// GetOutboundEvent returns the event or ErrNotFound.
func (s *Store) GetOutboundEvent(ctx context.Context, id string) (OutboundEvent, error) {
	e, err := scanOutbound(s.pool.QueryRow(ctx, `SELECT `+outboundColumns+` FROM outbound_events WHERE id = $1`, id))
	if err != nil {
		return OutboundEvent{}, fmt.Errorf("store: get event %s: %w", id, err)
	}
	return e, nil
}

// EventDelivery is one event's delivery to one endpoint.
type EventDelivery struct {
	ID            int64          `json:"id"`
	EndpointID    string         `json:"endpoint_id"`
	State         string         `json:"state"`
	AttemptCount  int            `json:"attempt_count"`
	LastAttemptAt *time.Time     `json:"last_attempt_at"`
	LastStatus    *int           `json:"last_status"`
	LastError     string         `json:"last_error,omitempty"`
	DeliveredAt   *time.Time     `json:"delivered_at"`
	Attempts      []EventAttempt `json:"attempts"`
}

// EventAttempt is one POST to an endpoint and how it ended.
type EventAttempt struct {
	At         time.Time `json:"at"`
	DurationMS int       `json:"duration_ms"`
	StatusCode *int      `json:"status_code"`
	Error      string    `json:"error,omitempty"`
	Outcome    string    `json:"outcome"`
}

// EventDeliveries returns the event's deliveries with every attempt, in
// endpoint order.
func (s *Store) EventDeliveries(ctx context.Context, seq int64) ([]EventDelivery, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT id, endpoint_id, state, attempts, last_attempt_at, last_status, coalesce(last_error, ''), delivered_at
		FROM event_deliveries WHERE event_seq = $1 ORDER BY endpoint_id`, seq)
	if err != nil {
		return nil, fmt.Errorf("store: deliveries of event %d: %w", seq, err)
	}
	out, err := collect(rows, func(row pgx.CollectableRow) (EventDelivery, error) {
		var d EventDelivery
		err := row.Scan(&d.ID, &d.EndpointID, &d.State, &d.AttemptCount, &d.LastAttemptAt, &d.LastStatus, &d.LastError, &d.DeliveredAt)
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: deliveries of event %d: %w", seq, err)
	}
	attempts, err := s.eventAttempts(ctx, seq)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Attempts = attempts[out[i].ID]
	}
	return out, nil
}

// eventAttempts reads every attempt of the event's deliveries in one
// query, by delivery, oldest first.
func (s *Store) eventAttempts(ctx context.Context, seq int64) (map[int64][]EventAttempt, error) {
	rows, err := s.pool.Query(ctx, `SELECT a.delivery_id, a.at, a.duration_ms, a.status_code, coalesce(a.error, ''), a.outcome
		FROM event_delivery_attempts a JOIN event_deliveries d ON d.id = a.delivery_id
		WHERE d.event_seq = $1 ORDER BY a.id`, seq)
	if err != nil {
		return nil, fmt.Errorf("store: attempts of event %d: %w", seq, err)
	}
	out := map[int64][]EventAttempt{}
	var (
		id int64
		a  EventAttempt
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &a.At, &a.DurationMS, &a.StatusCode, &a.Error, &a.Outcome}, func() error {
		out[id] = append(out[id], a)
		a.StatusCode = nil // Scan reuses the pointer's target otherwise
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: attempts of event %d: %w", seq, err)
	}
	return out, nil
}

// Redeliver puts the event back in the outbox for every endpoint that is
// subscribed to its type now, delivered before or not, with an audit row
// per endpoint. It returns how many deliveries it queued.
func (s *Store) Redeliver(ctx context.Context, eventID, actor string) (int, error) {
	var n int
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		ev, err := scanOutbound(tx.QueryRow(ctx, `SELECT `+outboundColumns+` FROM outbound_events WHERE id = $1`, eventID))
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `
			INSERT INTO event_deliveries (event_seq, endpoint_id, ordering_key)
			SELECT $1, id, $2 FROM event_endpoints
			WHERE deleted_at IS NULL AND (event_types @> ARRAY[$3] OR event_types @> ARRAY['*'])
			ORDER BY id
			ON CONFLICT (event_seq, endpoint_id) DO UPDATE
				SET state = 'pending', handed_at = NULL, finished_at = NULL
			RETURNING endpoint_id`, ev.Seq, ev.OrderingKey, ev.Type)
		if err != nil {
			return err
		}
		endpoints, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		n = len(endpoints)
		_, err = tx.Exec(ctx, `INSERT INTO event_endpoint_events (endpoint_id, action, actor, details)
			SELECT e, 'redelivered', $2, jsonb_build_object('event_id', $3::text) FROM unnest($1::text[]) AS e`,
			endpoints, actor, eventID)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: redeliver event %s: %w", eventID, err)
	}
	return n, nil
}

// StreamKey names one ordered stream of deliveries: an endpoint and an
// ordering key (a payout's id, a batch's id).
type StreamKey struct {
	EndpointID  string
	OrderingKey string
}

// HandOverDeliveries takes up to limit deliveries from the outbox, oldest
// first, and calls hand with their streams in that order (each once). The
// deliveries leave the outbox only if hand succeeds, in the transaction
// that held them, so a crash or a failed hand-over leaves them for the
// next call: handing a stream over twice is harmless, forgetting it is not.
// Rows another dispatcher holds are skipped.
func (s *Store) HandOverDeliveries(ctx context.Context, limit int, hand func([]StreamKey) error) (int, error) {
	var n int
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var (
			ids  []int64
			keys []StreamKey
			seen = map[StreamKey]bool{}
		)
		rows, err := tx.Query(ctx, `SELECT id, endpoint_id, ordering_key FROM event_deliveries
			WHERE handed_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`, limit)
		if err != nil {
			return err
		}
		for rows.Next() {
			var (
				id int64
				k  StreamKey
			)
			if err := rows.Scan(&id, &k.EndpointID, &k.OrderingKey); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if len(ids) == 0 {
			return nil
		}
		if err := hand(keys); err != nil {
			return err
		}
		n = len(ids)
		_, err = tx.Exec(ctx, `UPDATE event_deliveries SET handed_at = now() WHERE id = ANY($1)`, ids)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: hand over event deliveries: %w", err)
	}
	return n, nil
}

// DeliveryJob is the next delivery of a stream with what sending it needs.
type DeliveryJob struct {
	DeliveryID int64
	Attempts   int
	Event      OutboundEvent
	URL        string
	Secret     string
}

// NextDelivery returns the stream's oldest pending delivery, or found =
// false when it has none.
func (s *Store) NextDelivery(ctx context.Context, k StreamKey) (job DeliveryJob, found bool, err error) {
	row := s.pool.QueryRow(ctx, `
		SELECT d.id, d.attempts, ep.url, ep.secret, e.seq, e.id, e.type, coalesce(e.payout_id, ''), coalesce(e.batch_id, ''),
			coalesce(e.discrepancy_id, 0), e.ordering_key, e.data, e.created_at
		FROM event_deliveries d
		JOIN outbound_events e ON e.seq = d.event_seq
		JOIN event_endpoints ep ON ep.id = d.endpoint_id
		WHERE d.endpoint_id = $1 AND d.ordering_key = $2 AND d.state = 'pending'
		ORDER BY d.event_seq LIMIT 1`, k.EndpointID, k.OrderingKey)
	e := &job.Event
	err = row.Scan(&job.DeliveryID, &job.Attempts, &job.URL, &job.Secret,
		&e.Seq, &e.ID, &e.Type, &e.PayoutID, &e.BatchID, &e.DiscrepancyID, &e.OrderingKey, &e.Data, &e.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return DeliveryJob{}, false, nil
	}
	if err != nil {
		return DeliveryJob{}, false, fmt.Errorf("store: next delivery of %s/%s: %w", k.EndpointID, k.OrderingKey, err)
	}
	return job, true, nil
}

// Delivery outcomes: delivered ends the delivery, refused and unreachable
// leave it pending for another try, gave_up ends it undelivered.
const (
	OutcomeDelivered   = "delivered"
	OutcomeRefused     = "refused"
	OutcomeUnreachable = "unreachable"
	OutcomeGaveUp      = "gave_up"
)

// Attempt is what one try of a delivery found.
type Attempt struct {
	Duration   time.Duration
	StatusCode int // 0: no answer
	Error      string
	Outcome    string
}

// RecordAttempt writes the attempt and moves its delivery in one
// statement. A delivery no longer pending (cancelled meanwhile) keeps its
// state; the attempt is still recorded.
func (s *Store) RecordAttempt(ctx context.Context, deliveryID int64, a Attempt) error {
	state := "pending"
	switch a.Outcome {
	case OutcomeDelivered:
		state = "delivered"
	case OutcomeGaveUp:
		state = "failed"
	case OutcomeRefused, OutcomeUnreachable:
	default:
		return fmt.Errorf("store: record attempt of delivery %d: unknown outcome %q", deliveryID, a.Outcome)
	}
	var code *int
	if a.StatusCode != 0 {
		code = &a.StatusCode
	}
	_, err := s.pool.Exec(ctx, `
		WITH att AS (
			INSERT INTO event_delivery_attempts (delivery_id, duration_ms, status_code, error, outcome)
			VALUES ($1, $2, $3, NULLIF($4, ''), $5)
		)
		UPDATE event_deliveries SET attempts = attempts + 1, last_attempt_at = now(), last_status = $3,
			last_error = NULLIF($4, ''),
			delivered_at = CASE WHEN $6 = 'delivered' THEN now() ELSE delivered_at END,
			state = $6, finished_at = CASE WHEN $6 = 'pending' THEN NULL ELSE now() END
		WHERE id = $1 AND state = 'pending'`,
		deliveryID, int(a.Duration.Milliseconds()), code, a.Error, a.Outcome, state)
	if err != nil {
		return fmt.Errorf("store: record attempt of delivery %d: %w", deliveryID, err)
	}
	return nil
}

// OutboxDepth is how many deliveries are not yet handed to Temporal and
// how many are pending in all, for the gauges.
func (s *Store) OutboxDepth(ctx context.Context) (unhanded, pending int64, err error) {
	err = s.pool.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM event_deliveries WHERE handed_at IS NULL),
		(SELECT count(*) FROM event_deliveries WHERE state = 'pending')`).Scan(&unhanded, &pending)
	if err != nil {
		return 0, 0, fmt.Errorf("store: outbox depth: %w", err)
	}
	return unhanded, pending, nil
}
