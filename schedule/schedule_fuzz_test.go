package schedule

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/heleket-payouts/payouts/payout"
)

// FuzzValidate drives a schedule create body, decoded the way the API
// decodes it, through Validate: whatever is accepted names its client and
// itself unambiguously, pays a valid amount, and runs on exactly one kind
// of spec, never more often than MinInterval allows for intervals.
func FuzzValidate(f *testing.F) {
	const addr = "TQrZ9wBzbfcC3Tj5Jn1YBeRzHnVUxqAbpW"
	for _, s := range []struct{ client, body string }{
		{"42", `{"name":"weekly","asset":"USDT","network":"tron","amount":"10","address":"` + addr + `","cron":"0 9 * * MON"}`},
		{"42", `{"name":"n","asset":"USDT","network":"tron","amount":"10","interval":{"every":"24h","offset":"1h"},"timezone":"Europe/Lisbon"}`},
		{"42", `{"name":"n","asset":"USDT","network":"tron","amount":"10","calendar":{"hour":"9","day_of_week":"MON-FRI"}}`},
		{"42", `{"name":"n","asset":"USDT","network":"tron","amount":"10","interval":{"every":"1s"}}`},
		{"42", `{"name":"n","asset":"USDT","network":"tron","amount":"10","cron":"@every 1h/5m"}`},
		{"42", `{"name":"n","asset":"USDT","network":"tron","amount":"10","cron":"* * * * *","timezone":"../../../../etc/passwd"}`},
		{"42", `{"name":"a-b","asset":"USDT","network":"tron","amount":"10","cron":"@daily"}`},
		{"4-2", `{"name":"x","asset":"USDT","network":"tron","amount":"10","cron":"61 25 32 13 8"}`},
		{"42'; DROP TABLE payout_schedules;--", `{"name":"x","asset":"USDT","network":"tron","amount":"10","cron":"@daily"}`},
		{"42", `{"name":"n","asset":"USDT","network":"tron","amount":"10","cron":"* * * * * * *"}`},
		{"42", `{"name":"n","asset":"USDT","network":"tron","amount":"10","calendar":{"second":"0,30"}}`},
		{"42", `{"name":"x\u0000","asset":"USDT","network":"tron","amount":"10","cron":"@daily","timezone":"Local"}`},
	} {
		f.Add(s.client, []byte(s.body))
	}
	lim := payout.Limits{DefaultMax: decimal.NewFromInt(100000)}
	f.Fuzz(func(t *testing.T, client string, body []byte) {
		var req Request
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if dec.Decode(&req) != nil {
			return
		}
		def, spec, errs := Validate(client, req, lim)
		if !errs.Empty() {
			return
		}
		gotClient, gotName, ok := ParseID(def.ID)
		if !ok || gotClient != client || gotName != def.Name {
			t.Fatalf("ID %q does not split back into %q and %q", def.ID, client, def.Name)
		}
		if !def.Amount.IsPositive() || !payout.SupportsPair(def.Asset, def.Network) {
			t.Fatalf("accepted %s %s on %s", def.Amount, def.Asset, def.Network)
		}
		if kinds := len(spec.CronExpressions) + len(spec.Calendars) + len(spec.Intervals); kinds == 0 {
			t.Fatalf("accepted a spec that never runs: %+v", def.Spec)
		}
		for _, cal := range spec.Calendars {
			if oncePerMinute(cal.Second) != nil {
				t.Fatalf("accepted a calendar that pays more than once a minute: %+v", cal.Second)
			}
		}
		for _, iv := range spec.Intervals {
			if iv.Every < MinInterval || iv.Offset < 0 || iv.Offset >= iv.Every {
				t.Fatalf("accepted interval every %s offset %s", iv.Every, iv.Offset)
			}
		}
		if again, _, errs := Validate(client, Request{Name: def.Name, Asset: def.Asset, Network: def.Network,
			Amount: def.Amount.String(), Address: def.Address, Memo: def.Memo, Spec: def.Spec}, lim); !errs.Empty() || again.ID != def.ID {
			t.Fatalf("the normalized definition does not validate again: %v", errs)
		}
	})
}
