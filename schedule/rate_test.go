package schedule

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/heleket-payouts/payouts/payout"
)

func TestNoScheduleFiresMoreThanOnceAMinute(t *testing.T) {
	for spec, ok := range map[Spec]bool{
		{Cron: "* * * * * * *"}:                      false,
		{Cron: "*/30 * * * * * *"}:                   false,
		{Calendar: Calendar{Second: "0,30"}}:         false,
		{Calendar: Calendar{Second: "10-11"}}:        false,
		{Cron: "0 * * * * * *"}:                      true,
		{Cron: "* * * * *"}:                          true,
		{Calendar: Calendar{Second: "15"}}:           true,
		{Calendar: Calendar{Second: "59-59/5"}}:      true,
		{Interval: Interval{Every: "1m"}}:            true,
		{Interval: Interval{Every: "59s"}}:           false,
		{Calendar: Calendar{Minute: "*", Hour: "*"}}: true,
	} {
		_, _, errs := Validate("42", Request{Name: "n", Asset: "USDT", Network: "tron", Amount: "1", Spec: spec}, payout.Limits{})
		assert.Equal(t, ok, errs.Empty(), "%+v: %v", spec, errs)
	}
}
