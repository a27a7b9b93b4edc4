package sandbox

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"sort"
	"time"

	"github.com/heleket-payouts/payouts/heleket"
)

// cursor is a keyset position: the (created_at, uuid) of the item a page
// ended (next) or started (previous) at. Keyset rather than offset keeps
// pages stable while new payouts arrive at the newest end.
type cursor struct {
	At   int64  `json:"t"` // created_at, unix nanoseconds
	UUID string `json:"u"`
	Next bool   `json:"n"` // true: older items; false: newer items
}

func (c cursor) encode() *string {
	b, _ := json.Marshal(c) // a struct of scalars always marshals
	s := base64.RawURLEncoding.EncodeToString(b)
	return &s
}

var errBadCursor = errors.New("bad cursor")

func decodeCursor(s string) (*cursor, error) {
	if s == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, errBadCursor
	}
	var c cursor
	if err := json.Unmarshal(b, &c); err != nil || c.UUID == "" {
		return nil, errBadCursor
	}
	return &c, nil
}

func cursorAt(r *record, next bool) *string {
	return cursor{At: r.createdAt.UnixNano(), UUID: r.uuid, Next: next}.encode()
}

// before reports whether r sorts before the cursor position.
func (r *record) before(c *cursor) bool {
	at := r.createdAt.UnixNano()
	return at < c.At || (at == c.At && r.uuid < c.UUID)
}

// listQuery is a validated list request; zero times mean no bound.
type listQuery struct {
	from, to time.Time
	cursor   *cursor
}

type paginate struct {
	Count          int     `json:"count"`
	HasPages       bool    `json:"hasPages"`
	NextCursor     *string `json:"nextCursor"`
	PreviousCursor *string `json:"previousCursor"`
	PerPage        int     `json:"perPage"`
}

type listResult struct {
	MerchantUUID string       `json:"merchant_uuid"`
	Items        []payoutWire `json:"items"`
	Paginate     paginate     `json:"paginate"`
}

// list serves one page, newest first. The store is append-only in
// created_at order, so bounds and cursors are binary searches and a page
// costs O(log n + page size).
func (s *Sandbox) list(q listQuery) listResult {
	s.mu.RLock()
	defer s.mu.RUnlock()
	lo, hi := s.window(q.from, q.to)
	size := s.cfg.PageSize
	var start, end int
	var next, prev *string
	switch {
	case q.cursor == nil:
		end = hi
		start = max(lo, end-size)
	case q.cursor.Next:
		end = min(hi, s.search(q.cursor))
		start = max(lo, end-size)
		if end < hi && end > start {
			prev = cursorAt(s.ordered[end-1], false)
		}
	default:
		start = max(lo, s.searchAfter(q.cursor))
		end = min(hi, start+size)
		if end < hi && end > start {
			prev = cursorAt(s.ordered[end-1], false)
		}
	}
	if start > lo && end > start {
		next = cursorAt(s.ordered[start], true)
	}
	return s.page(start, end, next, prev)
}

func (s *Sandbox) page(start, end int, next, prev *string) listResult {
	items := make([]payoutWire, 0, max(0, end-start))
	for i := end - 1; i >= start; i-- {
		rec := s.ordered[i]
		items = append(items, rec.wire(s.balances[rec.currency], true))
	}
	return listResult{
		MerchantUUID: s.cfg.MerchantID,
		Items:        items,
		Paginate: paginate{
			Count: len(items), HasPages: next != nil || prev != nil,
			NextCursor: next, PreviousCursor: prev, PerPage: s.cfg.PageSize,
		},
	}
}

// window returns the index range [lo, hi) of payouts created within the
// date filters.
func (s *Sandbox) window(from, to time.Time) (lo, hi int) {
	n := len(s.ordered)
	hi = n
	if !from.IsZero() {
		lo = sort.Search(n, func(i int) bool { return !s.ordered[i].createdAt.Before(from) })
	}
	if !to.IsZero() {
		hi = sort.Search(n, func(i int) bool { return s.ordered[i].createdAt.After(to) })
	}
	return lo, max(lo, hi)
}

// search returns the index of the first record at or after the cursor.
func (s *Sandbox) search(c *cursor) int {
	return sort.Search(len(s.ordered), func(i int) bool { return !s.ordered[i].before(c) })
}

// searchAfter returns the index of the first record strictly after the cursor.
func (s *Sandbox) searchAfter(c *cursor) int {
	i := s.search(c)
	if i < len(s.ordered) && s.ordered[i].createdAt.UnixNano() == c.At && s.ordered[i].uuid == c.UUID {
		i++
	}
	return i
}

// parseListDate reads a date filter, which Heleket interprets in UTC+3.
// date_to is inclusive to the second, so it is widened to the second's end.
func parseListDate(s string, endOfSecond bool) (time.Time, bool) {
	t, err := time.ParseInLocation(heleket.ListDateLayout, s, heleketZone)
	if err != nil {
		return time.Time{}, false
	}
	if endOfSecond {
		t = t.Add(time.Second - time.Nanosecond)
	}
	return t, true
}
