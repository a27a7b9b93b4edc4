package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/heleket"
)

// wirePage mirrors the list result with nullable cursors.
type wirePage struct {
	MerchantUUID string           `json:"merchant_uuid"`
	Items        []heleket.Payout `json:"items"`
	Paginate     struct {
		Count          int     `json:"count"`
		HasPages       bool    `json:"hasPages"`
		NextCursor     *string `json:"nextCursor"`
		PreviousCursor *string `json:"previousCursor"`
		PerPage        int     `json:"perPage"`
	} `json:"paginate"`
}

func listPage(t *testing.T, s *Sandbox, body string, cursor *string) wirePage {
	t.Helper()
	path := "/v1/payout/list"
	if cursor != nil {
		path += "?cursor=" + url.QueryEscape(*cursor)
	}
	r := post(t, s, path, body)
	require.Equal(t, http.StatusOK, r.HTTP, "%+v", r)
	var p wirePage
	require.NoError(t, json.Unmarshal(r.Result, &p))
	return p
}

func orderIDs(items []heleket.Payout) []string {
	out := make([]string, len(items))
	for i, p := range items {
		out[i] = p.OrderID
	}
	return out
}

func TestListPagingWhileCreating(t *testing.T) {
	s := newSandbox(t, Config{SettleAfter: time.Hour})
	const n = 100
	for i := range n {
		create(t, s, usdt(fmt.Sprintf("old-%03d", i), "1"))
	}

	first := listPage(t, s, "", nil)
	assert.Equal(t, testMerchant, first.MerchantUUID)
	assert.Equal(t, 15, first.Paginate.PerPage)
	assert.Equal(t, 15, first.Paginate.Count)
	assert.True(t, first.Paginate.HasPages)
	assert.Nil(t, first.Paginate.PreviousCursor)
	require.NotNil(t, first.Paginate.NextCursor)

	seen := orderIDs(first.Items)
	page, extra := first, 0
	var second wirePage
	for page.Paginate.NextCursor != nil {
		// New payouts land at the newest end and must not disturb the walk.
		for range 3 {
			create(t, s, usdt(fmt.Sprintf("new-%03d", extra), "1"))
			extra++
		}
		page = listPage(t, s, "{}", page.Paginate.NextCursor)
		require.NotNil(t, page.Paginate.PreviousCursor)
		if second.Items == nil {
			second = page
		}
		seen = append(seen, orderIDs(page.Items)...)
	}
	assert.Equal(t, 10, page.Paginate.Count, "last page holds the remainder")

	want := make([]string, n)
	for i := range n {
		want[i] = fmt.Sprintf("old-%03d", n-1-i)
	}
	assert.Equal(t, want, seen, "every old payout once, newest first")

	for _, it := range first.Items {
		assert.NotEmpty(t, it.CreatedAt)
		assert.NotEmpty(t, it.UpdatedAt)
	}

	back := listPage(t, s, "", second.Paginate.PreviousCursor)
	assert.Equal(t, orderIDs(first.Items), orderIDs(back.Items), "previous of page 2 is page 1")
	assert.NotNil(t, back.Paginate.NextCursor)
	require.NotNil(t, back.Paginate.PreviousCursor, "the payouts created meanwhile are newer")
	newer := listPage(t, s, "", back.Paginate.PreviousCursor)
	assert.Equal(t, fmt.Sprintf("new-%03d", 0), newer.Items[len(newer.Items)-1].OrderID)
}

func TestListConcurrentCreates(t *testing.T) {
	s := newSandbox(t, Config{SettleAfter: time.Hour, PageSize: 7})
	for i := range 50 {
		create(t, s, usdt(fmt.Sprintf("base-%02d", i), "1"))
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 40 {
			create(t, s, usdt(fmt.Sprintf("live-%02d", i), "1"))
		}
	}()
	page := listPage(t, s, "", nil)
	seen := map[string]int{}
	for {
		for _, id := range orderIDs(page.Items) {
			seen[id]++
		}
		if page.Paginate.NextCursor == nil {
			break
		}
		page = listPage(t, s, "", page.Paginate.NextCursor)
	}
	wg.Wait()
	for i := range 50 {
		assert.Equal(t, 1, seen[fmt.Sprintf("base-%02d", i)])
	}
	for id, c := range seen {
		assert.Equal(t, 1, c, id)
	}
}

func TestListDateFilter(t *testing.T) {
	s := newSandbox(t, Config{SettleAfter: time.Hour})
	base := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC) // 12:00:00 in UTC+3
	var mu sync.Mutex
	clock := base
	s.mu.Lock()
	s.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	s.mu.Unlock()
	for i := range 10 {
		mu.Lock()
		clock = base.Add(time.Duration(i) * time.Minute)
		mu.Unlock()
		create(t, s, usdt(fmt.Sprintf("d%d", i), "1"))
	}

	p, _ := s.Payout("d3")
	assert.Equal(t, "2025-03-01 12:03:00", p.CreatedAt.Text(), "created_at in UTC+3")

	page := listPage(t, s, `{"date_from":"2025-03-01 12:03:00","date_to":"2025-03-01 12:06:00"}`, nil)
	assert.Equal(t, []string{"d6", "d5", "d4", "d3"}, orderIDs(page.Items))
	assert.False(t, page.Paginate.HasPages)

	r := post(t, s, "/v1/payout/list", `{"date_from":"2025-03-01T12:03:00Z"}`)
	assert.Equal(t, map[string][]string{"date_from": {vDateFormat}}, r.Errors)
	r = post(t, s, "/v1/payout/list?cursor=%25%25", `{}`)
	assert.Equal(t, map[string][]string{"cursor": {vInvalid}}, r.Errors)
}

// TestList100k walks 100,000 payouts page by page; a quadratic list would
// not finish.
func TestList100k(t *testing.T) {
	s := New(Config{SettleAfter: time.Hour, PageSize: 100, MerchantID: testMerchant, APIKey: testKey})
	defer s.Close()
	fill(t, s, 100_000)

	total, pages := 0, 0
	last := "bulk-999999"
	var cur *cursor
	for {
		res := s.list(listQuery{cursor: cur})
		pages++
		for _, it := range res.Items {
			// Zero-padded order ids were created in order: strictly
			// decreasing ids mean newest first, each exactly once.
			if it.OrderID >= last {
				t.Fatalf("page %d out of order: %s after %s", pages, it.OrderID, last)
			}
			last = it.OrderID
		}
		total += len(res.Items)
		if res.Paginate.NextCursor == nil {
			break
		}
		var err error
		cur, err = decodeCursor(*res.Paginate.NextCursor)
		require.NoError(t, err)
	}
	assert.Equal(t, 100_000, total)
	assert.Equal(t, 1000, pages)
}

// fill inserts n payouts without HTTP.
func fill(tb testing.TB, s *Sandbox, n int) {
	svc := services[serviceKey{"USDT", "tron"}]
	for i := range n {
		_, _, refusal := s.create(transfer{
			svc: svc, orderID: fmt.Sprintf("bulk-%06d", i), address: tronAddr,
			amount: dec("1"), isSubtract: true,
		})
		if refusal != "" {
			tb.Fatalf("create %d: %s", i, refusal)
		}
	}
}

func BenchmarkListPage100k(b *testing.B) {
	s := New(Config{SettleAfter: time.Hour})
	defer s.Close()
	fill(b, s, 100_000)
	mid := s.ordered[50_000]
	c := &cursor{At: mid.createdAt.UnixNano(), UUID: mid.uuid, Next: true}
	b.ResetTimer()
	for b.Loop() {
		s.list(listQuery{cursor: c})
	}
}
