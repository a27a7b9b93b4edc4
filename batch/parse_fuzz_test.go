package batch

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"testing"
)

// FuzzParse feeds any body, as JSON or CSV, to the batch parser: it either
// refuses with ErrMalformed (which the API answers 400) or returns rows
// that say the same thing when written back and parsed again.
func FuzzParse(f *testing.F) {
	for _, s := range []struct{ ct, body string }{
		{"application/json", `[{"client_id":"42","asset":"USDT","network":"tron","amount":"5","address":"TQrZ9wBzbfcC3Tj5Jn1YBeRzHnVUxqAbpW"}]`},
		{"application/json", `[]`}, {"application/json", `{}`}, {"application/json", `[{"amount":5}]`},
		{"application/json", `[{"client_id":"1","client_id":"2"}]`}, {"application/json", `[{"x":1}]`}, {"", `[] []`},
		{"text/csv", "client_id,asset,network,amount\n42,USDT,tron,5\n"},
		{"text/csv; charset=utf-8", "\ufeffCLIENT_ID, asset,network,amount,memo\n42,TON,ton,1,\"a,b\"\n"},
		{"text/csv", "client_id,asset,network\n1,2,3\n"}, {"text/csv", "client_id,asset,network,amount\n1,2\n"},
		{"text/csv", "client_id,asset,network,amount,amount\n"}, {"text/csv", ""}, {"text/csv", "\"unterminated\n"},
		{"application/csv", "client_id,asset,network,amount\n42'; DROP TABLE payouts;--,USDT,tron,1\n"},
	} {
		f.Add(s.ct, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		rows, err := Parse(ct, body)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("unclassified error: %v", err)
			}
			if len(err.Error()) > 400 {
				t.Fatalf("error echoes too much input (%d bytes)", len(err.Error()))
			}
			return
		}
		again := reparse(t, IsCSV(ct), rows)
		if len(again) != len(rows) {
			t.Fatalf("%d rows became %d", len(rows), len(again))
		}
		for i := range rows {
			if rows[i] != again[i] {
				t.Fatalf("row %d changed: %+v vs %+v", i, rows[i], again[i])
			}
		}
	})
}

// reparse writes rows back in the same format and parses them again.
func reparse(t *testing.T, asCSV bool, rows []Row) []Row {
	t.Helper()
	var buf bytes.Buffer
	ct := "application/json"
	if asCSV {
		ct = "text/csv"
		w := csv.NewWriter(&buf)
		_ = w.Write(csvColumns)
		for _, r := range rows {
			_ = w.Write([]string{r.ClientID, r.Asset, r.Network, r.Amount, r.Address, r.Memo})
		}
		w.Flush()
	} else if err := json.NewEncoder(&buf).Encode(rows); err != nil {
		t.Fatal(err)
	}
	again, err := Parse(ct, bytes.TrimSpace(buf.Bytes()))
	if err != nil {
		t.Fatalf("own output %q does not parse: %v", buf.Bytes(), err)
	}
	return again
}
