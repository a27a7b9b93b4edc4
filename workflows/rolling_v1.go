//go:build !rolling_v2 && !rolling_v2_unguarded

package workflows

import "go.temporal.io/sdk/workflow"

// beforeSubmit is the hook of the rolling-deploy test's workflow change
// (rolling_v2.go): the product's build has none.
func beforeSubmit(workflow.Context) error { return nil }
