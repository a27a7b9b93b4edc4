package httpapi

import (
	"bytes"
	"context"
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
const maxBatchBody = 8 << 20

// batchRoutes registers the bonus-campaign routes on the admin router.
func (s *server) batchRoutes(r chi.Router) {
	r.Post("/payouts/batch", s.createBatch)
	r.Get("/payouts/batches/{id}", s.getBatch)
}

// batchErrorView is the 422 answer: batch-level problems under fields,
// row problems under rows, keyed by 0-based row index, then field.
type batchErrorView struct {
	Error  string                     `json:"error"`
	Fields payout.FieldErrors         `json:"fields,omitempty"`
	Rows   map[int]payout.FieldErrors `json:"rows,omitempty"`
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
	key := r.Header.Get("Idempotency-Key")
	rows, status, msg := readBatch(w, r)
	if status != 0 {
		writeError(w, status, msg, nil)
		return
	}
	valid, batchErrs, rowErrs := batch.Validate(key, rows, s.Limits)
	if batchErrs.Empty() && len(rowErrs) == 0 && s.answeredAsRepeat(w, r, batch.ID(key), valid) {
		return
	}
	payouts, err := s.batchPayouts(r, key, valid, rowErrs)
	if err != nil {
		s.batchFailed(w, batch.ID(key), "could not load the clients' wallets", err)
		return
	}
	if !batchErrs.Empty() || len(rowErrs) > 0 {
		writeBatchErrors(w, len(rows), batchErrs, rowErrs)
		return
	}
	s.storeBatch(w, r, batch.Fingerprint(valid), key, payouts)
}

// answeredAsRepeat answers a request whose batch exists already, before
// any wallet is looked up: the stored rows are what counts.
func (s *server) answeredAsRepeat(w http.ResponseWriter, r *http.Request, id string, valid []payout.Valid) bool {
	existing, err := s.Store.GetBatch(r.Context(), id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return false
	case err != nil:
		s.batchFailed(w, id, "could not load the batch", err)
	default:
		s.answerRepeat(w, r, existing, batch.Fingerprint(valid))
	}
	return true
}

func writeBatchErrors(w http.ResponseWriter, rows int, batchErrs payout.FieldErrors, rowErrs batch.RowErrors) {
	msg := "invalid batch"
	if len(rowErrs) > 0 {
		msg = fmt.Sprintf("invalid batch: %d of %d rows have errors", len(rowErrs), rows)
	}
	writeJSON(w, http.StatusUnprocessableEntity, batchErrorView{Error: msg, Fields: batchErrs, Rows: rowErrs})
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

// batchPayouts turns valid rows into payouts, filling in default wallets
// with one query for the whole batch. A row without an address whose
// client has no default wallet joins rowErrs. Rows already in rowErrs are
// skipped, but their neighbours are still checked so every problem is
// reported at once.
func (s *server) batchPayouts(r *http.Request, key string, valid []payout.Valid, rowErrs batch.RowErrors) ([]payout.Payout, error) {
	wallets, err := s.Store.DefaultWallets(r.Context(), walletKeys(valid, rowErrs))
	if err != nil {
		return nil, err
	}
	out := make([]payout.Payout, len(valid))
	for i, v := range valid {
		if _, bad := rowErrs[i]; bad {
			continue
		}
		if v.Address == "" {
			wallet, ok := wallets[store.WalletKey{ClientID: v.ClientID, Asset: v.Asset, Network: v.Network}]
			if !ok {
				rowErrs[i] = payout.FieldErrors{payout.FieldAddress: {
					"no address given and client has no default " + v.Asset + " wallet on " + v.Network}}
				continue
			}
			v.Address, v.Memo = wallet.Address, firstNonEmpty(v.Memo, wallet.Memo)
		}
		out[i] = payout.Payout{
			ID: batch.PayoutID(s.Installation, key, v.ClientID, i), ClientID: v.ClientID, Asset: v.Asset, Network: v.Network,
			Amount: v.Amount, Address: v.Address, Memo: v.Memo, Origin: payout.OriginBonus,
			Status: s.initialStatus(v), IsSubtract: s.FeeFromBalance, RequestedBy: adminName(r.Context()),
		}
	}
	return out, nil
}

func walletKeys(valid []payout.Valid, rowErrs batch.RowErrors) []store.WalletKey {
	seen := map[store.WalletKey]bool{}
	var keys []store.WalletKey
	for i, v := range valid {
		k := store.WalletKey{ClientID: v.ClientID, Asset: v.Asset, Network: v.Network}
		if _, bad := rowErrs[i]; bad || v.Address != "" || seen[k] {
			continue
		}
		seen[k] = true
		keys = append(keys, k)
	}
	return keys
}

// storeBatch records the batch as requested, then starts its workflows.
func (s *server) storeBatch(w http.ResponseWriter, r *http.Request, fingerprint []byte, key string, payouts []payout.Payout) {
	b := store.Batch{ID: batch.ID(key), IdempotencyKey: key, Fingerprint: fingerprint,
		RowCount: len(payouts), RequestedBy: adminName(r.Context())}
	stored, created, err := s.Store.CreateBatch(r.Context(), b, payouts)
	if err != nil {
		s.batchFailed(w, b.ID, "could not store the batch", err)
		return
	}
	if !created {
		// A concurrent identical request committed first.
		s.answerRepeat(w, r, stored, fingerprint)
		return
	}
	s.startAndAnswer(w, r, stored.ID, false)
}

// answerRepeat handles a batch key seen before: the same rows resume
// (starting whatever a crash left unstarted), different rows are a 409.
func (s *server) answerRepeat(w http.ResponseWriter, r *http.Request, existing store.Batch, fingerprint []byte) {
	if !bytes.Equal(existing.Fingerprint, fingerprint) {
		writeError(w, http.StatusConflict, "Idempotency-Key already used for a different batch", nil)
		return
	}
	s.startAndAnswer(w, r, existing.ID, true)
}

func (s *server) getBatch(w http.ResponseWriter, r *http.Request) {
	s.writeBatch(r.Context(), w, chi.URLParam(r, "id"), http.StatusOK)
}

func (s *server) writeBatch(ctx context.Context, w http.ResponseWriter, id string, status int) {
	sum, err := s.Store.BatchSummary(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "batch not found", nil)
		return
	}
	if err != nil {
		s.batchFailed(w, id, "could not load the batch", err)
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

func (s *server) batchFailed(w http.ResponseWriter, batchID, msg string, err error) {
	s.log.Error(msg, "batch_id", batchID, "error", err)
	writeError(w, http.StatusInternalServerError, msg, nil)
}
