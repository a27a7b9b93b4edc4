// Package console_test drives the admin console in headless Chromium
// against the real product (internal/testenv), with the Temporal UI on so
// payout pages link to it.
package console_test

import (
	"testing"

	"github.com/heleket-payouts/payouts/internal/testenv"
)

func TestMain(m *testing.M) { testenv.MainWithUI(m) }
