package httpapi

import (
	"encoding/json"
	"net/http"
	"slices"
	"time"

	"github.com/shopspring/decimal"

	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/store"
)

// statsView is the body of GET /dashboard/api/admin-stats. Amounts are
// decimal strings and are only ever summed within one asset. Ratios and
// durations are JSON numbers written from decimals, never through a float.
type statsView struct {
	From           *time.Time          `json:"from"`
	To             *time.Time          `json:"to"`
	Total          int64               `json:"total"`
	ByStatus       map[string]int64    `json:"by_status"`
	ByAsset        []assetTotalView    `json:"by_asset"`
	ByStatusAsset  []statusAssetView   `json:"by_status_asset"`
	Paid           int64               `json:"paid"`
	Finalized      int64               `json:"finalized"`
	SuccessRate    *json.Number        `json:"success_rate"`
	TimeToFinal    timeToFinalView     `json:"time_to_final_seconds"`
	NeedsAttention int64               `json:"needs_attention"`
	LastReconcile  *reconciliationView `json:"last_reconciliation"`
}

type assetTotalView struct {
	Asset  string `json:"asset"`
	Count  int64  `json:"count"`
	Amount string `json:"amount"`
}

type statusAssetView struct {
	Status payout.Status `json:"status"`
	Asset  string        `json:"asset"`
	Count  int64         `json:"count"`
	Amount string        `json:"amount"`
}

type timeToFinalView struct {
	P50 *json.Number `json:"p50"`
	P95 *json.Number `json:"p95"`
}

type reconciliationView struct {
	ID          string     `json:"id"`
	Status      string     `json:"status"`
	RequestedAt time.Time  `json:"requested_at"`
	StartedAt   *time.Time `json:"started_at"`
	FinishedAt  *time.Time `json:"finished_at"`
}

func (s *server) adminStats(w http.ResponseWriter, r *http.Request) {
	q := parseQuery(r, "from", "to")
	from, to := q.period("from", "to")
	if !q.errs.Empty() {
		writeError(w, http.StatusUnprocessableEntity, "invalid stats query", q.errs)
		return
	}
	st, err := s.Store.Stats(r.Context(), from, to)
	if err != nil {
		s.log.ErrorContext(r.Context(), "admin stats", "error", err)
		writeError(w, http.StatusInternalServerError, "could not compute the statistics", nil)
		return
	}
	v := statsViewOf(st)
	v.From, v.To = optionalTime(from), optionalTime(to)
	writeJSON(w, http.StatusOK, v)
}

func statsViewOf(st store.Stats) statsView {
	v := statsView{
		ByStatus: make(map[string]int64, len(payout.Statuses)), ByAsset: byAsset(st.Totals),
		ByStatusAsset: make([]statusAssetView, 0, len(st.Totals)), NeedsAttention: st.NeedsAttention,
		TimeToFinal: timeToFinalView{P50: number(st.P50Seconds), P95: number(st.P95Seconds)},
	}
	// Every status is present, zero or not, so a dashboard needs no
	// special case for a status it has not seen yet.
	for _, status := range payout.Statuses {
		v.ByStatus[string(status)] = 0
	}
	for _, t := range st.Totals {
		v.Total += t.Count
		v.ByStatus[string(t.Status)] += t.Count
		v.ByStatusAsset = append(v.ByStatusAsset, statusAssetView{Status: t.Status, Asset: t.Asset, Count: t.Count, Amount: t.Amount.String()})
		if t.Status == payout.StatusPaid {
			v.Paid += t.Count
		}
		if t.Status.Final() {
			v.Finalized += t.Count
		}
	}
	if v.Finalized > 0 {
		rate := json.Number(decimal.NewFromInt(v.Paid).DivRound(decimal.NewFromInt(v.Finalized), 4).String())
		v.SuccessRate = &rate
	}
	if run := st.LastReconciliation; run != nil {
		v.LastReconcile = &reconciliationView{
			ID: run.ID, Status: run.Status, RequestedAt: run.RequestedAt, StartedAt: run.StartedAt, FinishedAt: run.FinishedAt,
		}
	}
	return v
}

// byAsset folds the per-status totals into per-asset ones, sorted by asset.
func byAsset(totals []store.StatusAssetTotal) []assetTotalView {
	sums := map[string]*assetTotal{}
	var assets []string
	for _, t := range totals {
		if sums[t.Asset] == nil {
			sums[t.Asset] = &assetTotal{}
			assets = append(assets, t.Asset)
		}
		sums[t.Asset].add(t.Count, t.Amount)
	}
	slices.Sort(assets)
	out := make([]assetTotalView, 0, len(assets))
	for _, a := range assets {
		out = append(out, assetTotalView{Asset: a, Count: sums[a].count, Amount: sums[a].amount.String()})
	}
	return out
}

type assetTotal struct {
	count  int64
	amount decimal.Decimal
}

func (a *assetTotal) add(count int64, amount decimal.Decimal) {
	a.count += count
	a.amount = a.amount.Add(amount)
}

func number(d decimal.NullDecimal) *json.Number {
	if !d.Valid {
		return nil
	}
	n := json.Number(d.Decimal.String())
	return &n
}

func optionalTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
