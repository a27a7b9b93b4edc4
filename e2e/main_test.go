// Package e2e runs payouts end to end over real HTTP against the Temporal dev
// server, PostgreSQL and the Heleket sandbox.
package e2e

import (
	"testing"

	"github.com/heleket-payouts/payouts/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }
