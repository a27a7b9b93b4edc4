package httpapi

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/shopspring/decimal"

	"github.com/heleket-payouts/payouts/batch"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/store"
)

// maxBatchBody admits MaxRows rows of CSV or JSON with room to spare; only
// this route gets more than maxBody.
const maxBatchBody = 16 << 20

// batchRoutes registers the bonus-campaign routes on the admin router.
func (s *server) batchRoutes(r chi.Router) {
	r.Post("/payouts/batch", s.createBatch)
	r.Get("/payouts/batches/{id}", s.getBatch)
}

// batchView is a batch's progress. Amounts are strings and are summed per
// asset only: adding USDT to BTC means nothing.
type batchView struct {
	ID          string                    `json:"id"`
	Rows        int                       `json:"rows"`
	RequestedBy string                    `json:"requested_by"`
	CreatedAt   time.Time                 `json:"created_at"`
	NotStarted  int                       `json:"not_started"`
	Final       int                       `json:"final"`
	Done        bool                      `json:"done"`
	Statuses    map[payout.Status]int     `json:"statuses"`
	Assets      map[string]batchAssetView `json:"assets"`
}

type batchAssetView struct {
	Rows     int                      `json:"rows"`
	Amount   string                   `json:"amount"`
	ByStatus map[payout.Status]string `json:"by_status"`
}

func (s *server) createBatch(w http.ResponseWriter, r *http.Request) {
	rows, status, msg := readBatch(w, r)
	if status != 0 {
		writeError(w, status, msg, nil)
		return
	}
	created, err := s.Service.CreateBatch(r.Context(), r.Header.Get("Idempotency-Key"), rows, adminName(r.Context()))
	if created.ID != "" {
		w.Header().Set("Location", "/payouts/batches/"+created.ID)
	}
	if err != nil {
		s.fail(w, r, "store the batch", err)
		return
	}
	if created.Replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	s.writeBatch(w, r, created.ID, http.StatusAccepted)
}

// readBatch reads a JSON array (the default) or CSV with a header row,
// within this route's own body limit.
func readBatch(w http.ResponseWriter, r *http.Request) ([]batch.Row, int, string) {
	ct := r.Header.Get("Content-Type")
	if ct != "" && !isJSON(ct) && !batch.IsCSV(ct) {
		return nil, http.StatusUnsupportedMediaType, "Content-Type must be application/json or text/csv"
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBatchBody))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body too large (max %d MiB)", maxBatchBody>>20)
	}
	if err != nil {
		return nil, http.StatusBadRequest, "could not read the request body"
	}
	rows, err := batch.Parse(ct, bytes.TrimSpace(body))
	if err != nil {
		return nil, http.StatusBadRequest, err.Error()
	}
	if msg := batchJSONKeys(ct, body); msg != "" {
		return nil, http.StatusBadRequest, msg
	}
	return rows, 0, ""
}

func (s *server) getBatch(w http.ResponseWriter, r *http.Request) {
	s.writeBatch(w, r, chi.URLParam(r, "id"), http.StatusOK)
}

func (s *server) writeBatch(w http.ResponseWriter, r *http.Request, id string, status int) {
	sum, err := s.Store.BatchSummary(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "batch not found", nil)
		return
	}
	if err != nil {
		s.log.ErrorContext(r.Context(), "load batch", "batch_id", id, "error", err)
		writeError(w, http.StatusInternalServerError, "could not load the batch", nil)
		return
	}
	writeJSON(w, status, viewBatch(sum))
}

func viewBatch(sum store.BatchSummary) batchView {
	v := batchView{ID: sum.ID, Rows: sum.RowCount, RequestedBy: sum.RequestedBy, CreatedAt: sum.CreatedAt,
		Statuses: map[payout.Status]int{}, Assets: map[string]batchAssetView{}}
	totals := map[string]decimal.Decimal{}
	for _, g := range sum.Groups {
		v.NotStarted += g.NotStarted
		v.Statuses[g.Status] += g.Count
		if g.Status.Final() {
			v.Final += g.Count
		}
		a := v.Assets[g.Asset]
		if a.ByStatus == nil {
			a.ByStatus = map[payout.Status]string{}
		}
		a.Rows += g.Count
		a.ByStatus[g.Status] = g.Amount.String()
		totals[g.Asset] = totals[g.Asset].Add(g.Amount)
		v.Assets[g.Asset] = a
	}
	for asset, total := range totals {
		a := v.Assets[asset]
		a.Amount = total.String()
		v.Assets[asset] = a
	}
	v.Done = v.Final == v.Rows
	return v
}
