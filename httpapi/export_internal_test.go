package httpapi

import (
	"encoding/csv"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/store"
)

func TestPayoutRecordEscapesMasksAndKeepsDecimals(t *testing.T) {
	at := time.Date(2026, 11, 1, 12, 0, 0, 123456000, time.FixedZone("X", 3*3600))
	p := payout.Payout{
		ID: "po1", ClientID: "client,1", Asset: "USDT", Network: "tron",
		Amount:  decimal.RequireFromString("0.100000000000000001"),
		Address: "TXYZ0000000000000000000000000000001", Memo: "line one\nline \"two\"",
		Origin: payout.OriginManual, Status: payout.StatusFailed, IsSubtract: true,
		Commission:    decimal.NewNullDecimal(decimal.RequireFromString("-1.5")),
		FailureReason: "=HYPERLINK(\"http://evil\")", RequestedBy: "@admin", CreatedAt: at, UpdatedAt: at,
		WaitingFor: &payout.Waiting{Kind: payout.WaitFunds, Reason: "+1 more"},
	}
	var b strings.Builder
	w := csv.NewWriter(&b)
	require.NoError(t, w.Write(payoutCSVColumns))
	require.NoError(t, w.Write(payoutRecord(p)))
	w.Flush()
	assert.Contains(t, b.String(), `"line one`+"\n"+`line ""two"""`, "RFC 4180 quoting")

	recs, err := csv.NewReader(strings.NewReader(b.String())).ReadAll()
	require.NoError(t, err)
	require.Len(t, recs, 2)
	row := map[string]string{}
	for i, name := range recs[0] {
		row[name] = recs[1][i]
	}
	assert.Equal(t, "client,1", row["client_id"])
	assert.Equal(t, "line one\nline \"two\"", row["memo"])
	assert.Equal(t, "0.100000000000000001", row["amount"])
	assert.Equal(t, "-1.5", row["commission"], "a decimal is never taken for a formula")
	assert.Equal(t, "TXYZ…0001", row["address_masked"])
	assert.NotContains(t, b.String(), p.Address)
	assert.Equal(t, `'=HYPERLINK("http://evil")`, row["failure_reason"])
	assert.Equal(t, "'@admin", row["requested_by"])
	assert.Equal(t, "'+1 more", row["waiting_for_reason"])
	assert.Equal(t, "funds", row["waiting_for_kind"])
	assert.Equal(t, "2026-11-01T09:00:00.123456Z", row["created_at"])
	assert.Equal(t, "", row["finalized_at"])
	assert.Equal(t, "true", row["is_subtract"])
	assert.Equal(t, "false", row["needs_attention"])
	assert.Len(t, recs[1], len(payoutCSVColumns))
}

func TestTextCellDefusesEveryFormulaLead(t *testing.T) {
	for _, s := range []string{"=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"} {
		assert.Equal(t, "'"+s, textCell(s), "%q", s)
	}
	for _, s := range []string{"", "plain", "1=1", " =1", "'quoted"} {
		assert.Equal(t, s, textCell(s), "%q", s)
	}
}

func TestJSONCellsMaskAddressesAtAnyDepth(t *testing.T) {
	details := map[string]any{
		"address": "TXYZ0000000000000000000000000000001",
		"answer":  map[string]any{"result": []any{map[string]any{"to_address": "0xabcdef0123456789abcdef"}}},
		"amount":  "10",
	}
	rec := eventRecord(payout.Event{ID: 7, PayoutID: "po1", To: payout.StatusRequested, Source: payout.SourceAPI,
		Details: details, At: time.Unix(0, 0)})
	cell := rec[len(rec)-1]
	assert.NotContains(t, cell, "TXYZ0000000000000000000000000000001")
	assert.NotContains(t, cell, "0xabcdef0123456789abcdef")
	assert.Contains(t, cell, `"address":"TXYZ…0001"`)
	assert.Contains(t, cell, `"to_address":"0xab…cdef"`)
	assert.Equal(t, "TXYZ0000000000000000000000000000001", details["address"], "the stored details are not changed")
	assert.Equal(t, "1970-01-01T00:00:00Z", rec[2])

	d := discrepancyRecord(store.Discrepancy{ID: 1, RunID: "r1", OrderID: "o1", Kind: "orphan",
		Theirs: map[string]any{"address": "TXYZ0000000000000000000000000000001"}, DetectedAt: time.Unix(0, 0)})
	assert.Equal(t, `{"address":"TXYZ…0001"}`, d[7])
	assert.Equal(t, "", d[6], "no snapshot is an empty cell")
	assert.Len(t, d, len(discrepancyCSVColumns))
}

// A failure after the header must not pass for a complete file: the
// client's read of the body fails.
func TestExportFailingMidwayAbortsTheBody(t *testing.T) {
	s := &server{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		out := s.newCSVExport(w, r, "x.csv", []string{"n"})
		for range 3 * flushEvery {
			_ = out.row([]string{"1"})
		}
		out.finish(errors.New("database went away"))
	}))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "text/csv; charset=utf-8", resp.Header.Get("Content-Type"))
	assert.Equal(t, `attachment; filename=x.csv`, resp.Header.Get("Content-Disposition"))
	body, err := io.ReadAll(resp.Body)
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
	assert.True(t, strings.HasPrefix(string(body), "n\n1\n"), "the rows before the failure arrived")
}

func TestExportErrorBeforeAnyRowIsAJSONError(t *testing.T) {
	s := &server{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	rec := httptest.NewRecorder()
	out := s.newCSVExport(rec, httptest.NewRequest(http.MethodGet, "/x.csv", nil), "x.csv", []string{"n"})
	out.finish(errors.New("query failed"))
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
}

func TestEmptyExportIsTheHeaderRow(t *testing.T) {
	s := &server{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	rec := httptest.NewRecorder()
	out := s.newCSVExport(rec, httptest.NewRequest(http.MethodGet, "/x.csv", nil), "x.csv", eventCSVColumns)
	out.finish(nil)
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, strings.Join(eventCSVColumns, ",")+"\n", rec.Body.String())
}

func TestSafeNameKeepsFilenamesPlain(t *testing.T) {
	assert.Equal(t, "po_1-a_", safeName("po 1-a\""))
}
