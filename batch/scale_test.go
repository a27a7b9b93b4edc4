package batch

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/heleket-payouts/payouts/payout"
)

// maxRows is a campaign of MaxRows rows, half of them without an address
// (default wallet).
func maxRows() []Row {
	rows := make([]Row, MaxRows)
	for i := range rows {
		rows[i] = Row{ClientID: fmt.Sprint(100000 + i), Asset: "USDT", Network: "tron",
			Amount: fmt.Sprintf("%d.%02d", 1+i%500, i%100)}
		if i%2 == 0 {
			rows[i].Address = tron
		}
	}
	return rows
}

// maxBodies are maxRows as the route receives them, by content type.
func maxBodies(t testing.TB) map[string][]byte {
	rows := maxRows()
	var csv bytes.Buffer
	csv.WriteString("client_id,asset,network,amount,address,memo\n")
	for _, r := range rows {
		fmt.Fprintf(&csv, "%s,%s,%s,%s,%s,%s\n", r.ClientID, r.Asset, r.Network, r.Amount, r.Address, r.Memo)
	}
	js, err := json.Marshal(rows)
	if err != nil {
		t.Fatal(err)
	}
	return map[string][]byte{"text/csv": csv.Bytes(), "application/json": js}
}

var scaleLimits = payout.Limits{DefaultMax: decimal.NewFromInt(1000)}

// BenchmarkParseValidateMaxRows measures what the route does with a
// largest campaign before touching the database:
//
//	go test ./batch/ -run '^$' -bench ParseValidateMaxRows -benchtime 5x -benchmem
func BenchmarkParseValidateMaxRows(b *testing.B) {
	for contentType, body := range maxBodies(b) {
		b.Run(contentType, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				rows, err := Parse(contentType, body)
				if err != nil {
					b.Fatal(err)
				}
				valid, batchErrs, rowErrs := Validate("campaign", rows, scaleLimits)
				if !batchErrs.Empty() || len(rowErrs) != 0 || len(valid) != MaxRows {
					b.Fatalf("a valid campaign was refused: %v %v (%d valid)", batchErrs, rowErrs, len(valid))
				}
			}
			b.ReportMetric(float64(len(body))/(1<<20), "MiB/body")
		})
	}
}

// The largest campaign is accepted whole, in either format.
func TestMaxRowsCampaignParsesAndValidates(t *testing.T) {
	for contentType, body := range maxBodies(t) {
		rows, err := Parse(contentType, body)
		if err != nil {
			t.Fatalf("%s: %v", contentType, err)
		}
		valid, batchErrs, rowErrs := Validate("campaign", rows, scaleLimits)
		if !batchErrs.Empty() || len(rowErrs) != 0 {
			t.Fatalf("%s: a valid campaign was refused: %v %v", contentType, batchErrs, rowErrs)
		}
		if len(valid) != MaxRows || valid[MaxRows-1].ClientID != fmt.Sprint(100000+MaxRows-1) {
			t.Fatalf("%s: got %d valid rows, last %+v", contentType, len(valid), valid[len(valid)-1])
		}
	}
}
