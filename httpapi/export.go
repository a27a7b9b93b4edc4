package httpapi

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/shopspring/decimal"

	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/store"
)

// The CSV columns are part of the API: clients' spreadsheets and import
// jobs address them by name and position, so new columns go at the end.
var (
	payoutCSVColumns = []string{"id", "client_id", "asset", "network", "amount", "address_masked", "memo",
		"origin", "status", "is_subtract", "heleket_uuid", "txid", "commission", "failure_reason",
		"needs_attention", "requested_by", "created_at", "updated_at", "finalized_at",
		"waiting_for_kind", "waiting_for_reason", "retry_of", "retried_as"}
	eventCSVColumns       = []string{"id", "payout_id", "at", "from_status", "to_status", "source", "actor", "details"}
	discrepancyCSVColumns = []string{"id", "run_id", "order_id", "payout_id", "kind", "reason", "ours", "theirs",
		"detected_at", "alerted_at", "resolved_at", "resolution", "resolved_by", "note"}
)

// flushEvery rows the response is pushed to the client, so that a long
// export arrives as it is read rather than in bursts of buffer size.
const flushEvery = 1000

func (s *server) exportRoutes(r chi.Router) {
	r.Get("/payouts/export.csv", s.exportPayouts)
	r.Get("/payouts/{id}/events.csv", s.exportEvents)
	r.Get("/reconciliation/runs/{id}/discrepancies.csv", s.exportDiscrepancies)
}

func (s *server) exportPayouts(w http.ResponseWriter, r *http.Request) {
	f, _, _, fields := parseListQuery(r)
	// The list's parser allows paging; the export is every matching row.
	for _, name := range []string{"limit", "cursor"} {
		if r.URL.Query().Has(name) {
			fields.Add(name, "is not taken by the export, which has every matching row")
		}
	}
	if !fields.Empty() {
		writeError(w, http.StatusUnprocessableEntity, "invalid payout query", fields)
		return
	}
	out := s.newCSVExport(w, r, "payouts-"+time.Now().UTC().Format("20060102T150405Z")+".csv", payoutCSVColumns)
	out.finish(s.Store.ExportPayouts(r.Context(), f, func(p payout.Payout) error {
		return out.row(payoutRecord(p))
	}))
}

func (s *server) exportEvents(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "id")
	// Looked up first: once the header row is out, a 404 cannot be sent.
	if _, err := s.Store.GetPayout(r.Context(), id); errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "payout not found", nil)
		return
	} else if err != nil {
		s.log.ErrorContext(r.Context(), "export audit trail: load payout", "payout_id", id, "error", err)
		writeError(w, http.StatusInternalServerError, "could not load the payout", nil)
		return
	}
	out := s.newCSVExport(w, r, "payout-"+safeName(id)+"-events.csv", eventCSVColumns)
	out.finish(s.Store.ExportEvents(r.Context(), id, func(e payout.Event) error {
		return out.row(eventRecord(e))
	}))
}

func (s *server) exportDiscrepancies(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "id")
	if _, err := s.Store.GetRun(r.Context(), id); errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "reconciliation run not found", nil)
		return
	} else if err != nil {
		s.log.ErrorContext(r.Context(), "export discrepancies: load run", "run_id", id, "error", err)
		writeError(w, http.StatusInternalServerError, "could not load the reconciliation run", nil)
		return
	}
	out := s.newCSVExport(w, r, "reconciliation-run-"+safeName(id)+"-discrepancies.csv", discrepancyCSVColumns)
	out.finish(s.Store.ExportDiscrepancies(r.Context(), id, func(d store.Discrepancy) error {
		return out.row(discrepancyRecord(d))
	}))
}

func payoutRecord(p payout.Payout) []string {
	var kind, reason string
	if p.WaitingFor != nil {
		kind, reason = string(p.WaitingFor.Kind), p.WaitingFor.Reason
	}
	commission := ""
	if p.Commission.Valid {
		commission = amountCell(p.Commission.Decimal)
	}
	return []string{
		textCell(p.ID), textCell(p.ClientID), textCell(p.Asset), textCell(p.Network), amountCell(p.Amount),
		textCell(payout.MaskAddress(p.Address)), textCell(p.Memo), textCell(string(p.Origin)), textCell(string(p.Status)),
		strconv.FormatBool(p.IsSubtract), textCell(p.HeleketUUID), textCell(p.TxID), commission,
		textCell(p.FailureReason), strconv.FormatBool(p.NeedsAttention), textCell(p.RequestedBy),
		timeCell(p.CreatedAt), timeCell(p.UpdatedAt), optionalTimeCell(p.FinalizedAt),
		textCell(kind), textCell(reason), textCell(p.RetryOf), textCell(p.RetriedAs),
	}
}

func eventRecord(e payout.Event) []string {
	return []string{
		strconv.FormatInt(e.ID, 10), textCell(e.PayoutID), timeCell(e.At), textCell(string(e.From)),
		textCell(string(e.To)), textCell(string(e.Source)), textCell(e.Actor), jsonCell(e.Details),
	}
}

func discrepancyRecord(d store.Discrepancy) []string {
	return []string{
		strconv.FormatInt(d.ID, 10), textCell(d.RunID), textCell(d.OrderID), textCell(d.PayoutID),
		textCell(string(d.Kind)), textCell(d.Reason), jsonCell(d.Ours), jsonCell(d.Theirs),
		timeCell(d.DetectedAt), optionalTimeCell(d.AlertedAt), optionalTimeCell(d.ResolvedAt), textCell(d.Resolution),
		textCell(d.ResolvedBy), textCell(d.Note),
	}
}

// textCell defuses formula injection: a spreadsheet runs a cell that
// starts with = + - @ (or a tab or CR before one) as a formula, so such a
// cell gets a leading ' that spreadsheets show as text. Every string that
// can come from outside goes through it; amounts do not, since a decimal
// (which may start with -) is never a formula.
func textCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// amountCell is the decimal as written, never through float64.
func amountCell(d decimal.Decimal) string { return d.String() }

// timeCell is UTC RFC 3339 with the stored precision, as the JSON API
// writes it.
func timeCell(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func optionalTimeCell(t *time.Time) string {
	if t == nil {
		return ""
	}
	return timeCell(*t)
}

// jsonCell writes audit details and snapshots as JSON with every value
// under a key naming an address masked: details keep Heleket's answers,
// which may name the destination.
func jsonCell(m map[string]any) string {
	if len(m) == 0 {
		return ""
	}
	b, err := json.Marshal(maskAddressValues(m))
	if err != nil {
		return "" // decoded from jsonb, so it encodes; an empty cell rather than a broken file
	}
	return textCell(string(b))
}

// maskAddressValues copies v with the strings under keys containing
// "address" masked, leaving the stored value untouched.
func maskAddressValues(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			if s, ok := x.(string); ok && strings.Contains(strings.ToLower(k), "address") {
				out[k] = payout.MaskAddress(s)
				continue
			}
			out[k] = maskAddressValues(x)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = maskAddressValues(x)
		}
		return out
	}
	return v
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// safeName keeps a path id usable in a filename whatever it holds.
func safeName(id string) string { return unsafeName.ReplaceAllString(id, "_") }

// csvExport writes a CSV answer as rows arrive. Nothing is sent before the
// first row (or the end of an empty export), so an error found before then
// is still a JSON error with its status.
type csvExport struct {
	s        *server
	w        http.ResponseWriter
	r        *http.Request
	filename string
	header   []string
	csv      *csv.Writer
	rows     int
	writeErr error
}

func (s *server) newCSVExport(w http.ResponseWriter, r *http.Request, filename string, header []string) *csvExport {
	return &csvExport{s: s, w: w, r: r, filename: filename, header: header}
}

func (e *csvExport) start() {
	h := e.w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": e.filename}))
	h.Set("Cache-Control", "no-store")
	e.w.WriteHeader(http.StatusOK)
	e.csv = csv.NewWriter(e.w)
	_ = e.csv.Write(e.header) // a failed write shows in csv.Error at the next flush
}

// row writes one record; an error means the client is gone.
func (e *csvExport) row(rec []string) error {
	if e.csv == nil {
		e.start()
	}
	if err := e.csv.Write(rec); err != nil {
		e.writeErr = err
		return err
	}
	e.rows++
	if e.rows%flushEvery == 0 {
		return e.flush()
	}
	return nil
}

func (e *csvExport) flush() error {
	e.csv.Flush()
	if err := e.csv.Error(); err != nil {
		e.writeErr = err
		return err
	}
	if err := http.NewResponseController(e.w).Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		e.writeErr = err
		return err
	}
	return nil
}

// finish ends the answer. An error after the header row cannot change the
// status any more: it is logged (with the request id) and the response is
// aborted, so that the client sees the body cut off (no final chunk: a
// read error) instead of a short file that looks complete.
func (e *csvExport) finish(err error) {
	ctx := e.r.Context()
	switch {
	case err == nil:
		if e.csv == nil {
			e.start()
		}
		if ferr := e.flush(); ferr != nil {
			e.s.log.WarnContext(ctx, "csv export: client went away", "path", e.r.URL.Path, "rows", e.rows, "error", ferr)
		}
	case e.writeErr != nil || ctx.Err() != nil:
		e.s.log.WarnContext(ctx, "csv export: client went away", "path", e.r.URL.Path, "rows", e.rows, "error", err)
	case e.csv == nil:
		e.s.log.ErrorContext(ctx, "csv export", "path", e.r.URL.Path, "error", err)
		writeError(e.w, http.StatusInternalServerError, "could not export", nil)
	default:
		e.s.log.ErrorContext(ctx, "csv export failed after the header; response aborted", "path", e.r.URL.Path,
			"rows", e.rows, "error", err)
		panic(http.ErrAbortHandler)
	}
}
