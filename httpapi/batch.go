package httpapi

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/heleket-payouts/payouts/batch"
	"github.com/heleket-payouts/payouts/store"
	"github.com/heleket-payouts/payouts/usecase"
	"github.com/heleket-payouts/payouts/views"
)

// maxBatchBody admits MaxRows rows of CSV or JSON with room to spare; only
// this route gets more than maxBody.
const maxBatchBody = 16 << 20

// batchRoutes registers the bonus-campaign routes on the admin router.
func (s *server) batchRoutes(r chi.Router) {
	r.Post("/payouts/batch", s.createBatch)
	r.Get("/payouts/batches", s.listBatches)
	r.Get("/payouts/batches/{id}", s.getBatch)
	r.Get("/payouts/batches/{id}/payouts", s.batchPayouts)
	r.Post("/payouts/batches/{id}/pause", s.decideBatch(usecase.BatchPause))
	r.Post("/payouts/batches/{id}/resume", s.decideBatch(usecase.BatchResume))
	r.Post("/payouts/batches/{id}/cancel", s.decideBatch(usecase.BatchCancel))
	r.Post("/payouts/batches/{id}/approve", s.decideBatch(usecase.BatchApprove))
	r.Post("/payouts/batches/{id}/reject", s.decideBatch(usecase.BatchReject))
}

type batchView = views.Batch

func (s *server) createBatch(w http.ResponseWriter, r *http.Request) {
	rows, status, msg := readBatch(w, r)
	if status != 0 {
		writeError(w, status, msg, nil)
		return
	}
	created, err := s.Service.CreateBatch(r.Context(), r.Header.Get("Idempotency-Key"), rows, actor(r.Context()))
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
	if err != nil {
		s.batchLoadFailed(w, r, id, err)
		return
	}
	writeJSON(w, status, viewBatch(sum))
}

func viewBatch(sum store.BatchSummary) batchView { return views.NewBatch(sum) }

// batchPage is a page of campaigns, newest first.
type batchPage struct {
	Items      []batchListItem `json:"items"`
	NextCursor *string         `json:"next_cursor"`
}

type batchListItem struct {
	ID          string           `json:"id"`
	Rows        int              `json:"rows"`
	State       store.BatchState `json:"state"`
	RequestedBy string           `json:"requested_by"`
	CreatedAt   time.Time        `json:"created_at"`
	UpdatedAt   time.Time        `json:"updated_at"`
}

func (s *server) listBatches(w http.ResponseWriter, r *http.Request) {
	q := parseQuery(r, "limit", "cursor")
	limit := q.int("limit", 50, 1, 500)
	var after *store.BatchPageKey
	if c := q.get("cursor"); c != "" {
		k, ok := decodeCursor(c)
		if !ok {
			q.errs.Add("cursor", "is not a next_cursor from a previous page")
		}
		after = &store.BatchPageKey{CreatedAt: k.CreatedAt, ID: k.ID}
	}
	if !q.errs.Empty() {
		writeError(w, http.StatusUnprocessableEntity, "invalid query", q.errs)
		return
	}
	batches, next, err := s.Store.ListBatches(r.Context(), after, limit)
	if err != nil {
		s.log.ErrorContext(r.Context(), "list batches", "error", err)
		writeError(w, http.StatusInternalServerError, "could not list the batches", nil)
		return
	}
	page := batchPage{Items: make([]batchListItem, 0, len(batches))}
	for _, b := range batches {
		page.Items = append(page.Items, batchListItem{ID: b.ID, Rows: b.RowCount, State: b.State,
			RequestedBy: b.RequestedBy, CreatedAt: b.CreatedAt, UpdatedAt: b.UpdatedAt})
	}
	if next != nil {
		c := encodeCursor(store.PageKey{CreatedAt: next.CreatedAt, ID: next.ID})
		page.NextCursor = &c
	}
	writeJSON(w, http.StatusOK, page)
}

// batchPayouts lists a campaign's payouts in payout ID order; pass
// next_cursor back as cursor.
func (s *server) batchPayouts(w http.ResponseWriter, r *http.Request) {
	q := parseQuery(r, "limit", "cursor")
	limit := q.int("limit", 100, 1, 500)
	after := q.get("cursor")
	if after != "" && !cursorID.MatchString(after) {
		q.errs.Add("cursor", "is not a next_cursor from a previous page")
	}
	if !q.errs.Empty() {
		writeError(w, http.StatusUnprocessableEntity, "invalid query", q.errs)
		return
	}
	id := chi.URLParam(r, "id")
	if _, err := s.Store.GetBatch(r.Context(), id); err != nil {
		s.batchLoadFailed(w, r, id, err)
		return
	}
	payouts, err := s.Store.BatchPayoutsPage(r.Context(), id, after, limit+1)
	if err != nil {
		s.log.ErrorContext(r.Context(), "list batch payouts", "batch_id", id, "error", err)
		writeError(w, http.StatusInternalServerError, "could not list the batch's payouts", nil)
		return
	}
	page := payoutPage{Items: make([]payoutView, 0, len(payouts))}
	for i, p := range payouts {
		if i == limit {
			page.NextCursor = &payouts[i-1].ID
			break
		}
		page.Items = append(page.Items, view(p))
	}
	writeJSON(w, http.StatusOK, page)
}

// decideBatch pauses, resumes or cancels a campaign.
func (s *server) decideBatch(decision string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		reason, ok := readDecision(w, r)
		if !ok {
			return
		}
		id := chi.URLParam(r, "id")
		if _, err := s.Service.DecideBatch(r.Context(), id, decision, actor(r.Context()), reason); err != nil {
			s.fail(w, r, "record the decision", err)
			return
		}
		s.writeBatch(w, r, id, http.StatusOK)
	}
}

func (s *server) batchLoadFailed(w http.ResponseWriter, r *http.Request, id string, err error) {
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "batch not found", nil)
		return
	}
	s.log.ErrorContext(r.Context(), "load batch", "batch_id", id, "error", err)
	writeError(w, http.StatusInternalServerError, "could not load the batch", nil)
}
