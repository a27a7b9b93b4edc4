package workflows

// phase is where a payout run is. There is exactly one at a time, and only
// the run's main coroutine moves it:
//
//	starting → ready → submitting → awaiting webhook → polling → finished
//
// with these turns: ready → awaiting approval → ready again when a payout
// needs a second admin (then finished at once if it was rejected, expired
// or cancelled); submitting → finished when Heleket refuses the payout or
// answers with a final status; submitting → held → finished once an
// operator cancels a payout whose order_id Heleket knows as another's;
// submitting → awaiting funds → submitting again when Heleket refused the
// create for lack of balance (finished when it expires or is cancelled);
// awaiting webhook → finished when a confirmed webhook ends it. A run that
// continued as new goes from ready to the follow phase its input names
// (PollInterval set: polling).
//
// What the run is asking Heleket while it follows the payout (confirming a
// webhook, a poll) is not a phase of its own but payoutRun.call: it
// happens inside awaiting webhook or polling, and the run is back in that
// phase once the call is answered.
type phase int

const (
	// phaseStarting: the stored record is being loaded (or written, for
	// payouts started by a schedule); decisions wait for it.
	phaseStarting phase = iota
	// phaseReady: the record is loaded and nothing has been sent to
	// Heleket; a decision being recorded finishes before anything is.
	phaseReady
	// phaseAwaitingApproval: four-eyes approval, until a second admin
	// decides or the approval window closes.
	phaseAwaitingApproval
	// phaseSubmitting: the create call may have reached Heleket, which has
	// no cancel API, so a cancel is refused (ErrSubmitting).
	phaseSubmitting
	// phaseAwaitingWebhook: submitted, following the payout by webhook
	// until PAYOUT_WEBHOOK_WAIT is over.
	phaseAwaitingWebhook
	// phasePolling: the webhook wait is over; the run polls at growing
	// intervals and still takes webhooks.
	phasePolling
	// phaseHeld: Heleket holds another payout under our order_id; nothing
	// goes on until an operator cancels this one.
	phaseHeld
	// phaseFinished: the payout is final; the run ends once a decision
	// still being answered is.
	phaseFinished
	// phaseAwaitingFunds: Heleket refused the create for lack of balance;
	// the run checks the balance with backoff and sends the create again
	// (same order_id) once it may cover the payout, until
	// PAYOUT_FUNDS_WAIT. An operator may cancel it meanwhile.
	phaseAwaitingFunds
)

// String is the phase as the state query and the Temporal UI show it. The
// texts of the two following phases are the names of their timers too.
func (p phase) String() string {
	switch p {
	case phaseStarting:
		return "starting"
	case phaseReady:
		return "ready: nothing sent to Heleket yet"
	case phaseAwaitingApproval:
		return "waiting for a second admin's approval"
	case phaseSubmitting:
		return "submitting to Heleket"
	case phaseAwaitingWebhook:
		return "waiting for Heleket webhook"
	case phasePolling:
		return "next status poll"
	case phaseHeld:
		return "held for an operator"
	case phaseFinished:
		return "finished"
	case phaseAwaitingFunds:
		return "waiting for funds"
	}
	return "unknown phase"
}

// Calls to Heleket made while following a payout (payoutRun.call); each is
// the name of its retries too.
const (
	callConfirmWebhook = "confirming webhook with Heleket"
	callPoll           = "polling Heleket"
)
