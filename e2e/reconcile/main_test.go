// Package reconcile_test runs reconciliation end to end: the Temporal dev
// server, PostgreSQL and the Heleket sandbox over real HTTP.
package reconcile_test

import (
	"testing"

	"github.com/heleket-payouts/payouts/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }
