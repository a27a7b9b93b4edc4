package console

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"

	"github.com/go-chi/chi/v5"

	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/store"
	"github.com/heleket-payouts/payouts/usecase"
)

func (c *console) clientRoutes(r chi.Router) {
	r.Get("/clients", c.clientPage)
	r.Post("/clients/{client_id}/wallets", c.addWallet)
	r.Post("/clients/{client_id}/wallets/default", c.walletAction(c.makeDefault))
	r.Post("/clients/{client_id}/wallets/disable", c.walletAction(c.disableWallet))
	r.Post("/clients/{client_id}/wallets/approve", c.walletAction(c.approveWallet))
	r.Post("/clients/{client_id}/quote", c.quote)
	r.Post("/clients/{client_id}/payout", c.createPayout)
}

// payoutForm is the new-payout form's fields.
type payoutForm struct{ Asset, Network, Amount, Address, Memo string }

// walletForm is the add-wallet form's fields.
type walletForm struct {
	Asset, Network, Address, Memo string
	Default                       bool
}

// walletRow is a wallet as the client page lists it: the address masked,
// and a reference (a digest of the address) that the wallet's forms send
// instead of the address.
type walletRow struct {
	store.Wallet
	Ref    string
	Usable bool
}

type clientData struct {
	ClientID    string
	Searched    bool
	SearchErrs  payout.FieldErrors
	Wallets     []walletRow
	Form        payoutForm
	FormErrs    payout.FieldErrors
	Quote       *usecase.Quote
	Key         string // the idempotency key the confirm button sends
	WalletForm  walletForm
	WalletErrs  payout.FieldErrors
	Assets      []string
	Networks    []string
	ClientQuery string
}

func walletRef(w store.Wallet) string {
	d := sha256.Sum256([]byte(w.Asset + "\x00" + w.Network + "\x00" + w.Address))
	return hex.EncodeToString(d[:12])
}

func (c *console) clientPage(w http.ResponseWriter, r *http.Request) {
	d := clientData{ClientID: r.URL.Query().Get("client_id"), WalletForm: walletForm{Default: true}}
	c.showClient(w, r, http.StatusOK, &d, "")
}

// showClient renders the client page with the client's wallets read anew.
func (c *console) showClient(w http.ResponseWriter, r *http.Request, status int, d *clientData, problem string) {
	d.Assets, d.Networks = payout.Assets(), payout.Networks()
	if d.ClientID != "" {
		d.Searched = true
		d.ClientQuery = url.QueryEscape(d.ClientID)
		if errs := payout.ValidateClientID(d.ClientID); !errs.Empty() {
			d.SearchErrs = errs
			if status == http.StatusOK {
				status = http.StatusUnprocessableEntity
			}
		} else {
			wallets, err := c.Store.ListWallets(r.Context(), d.ClientID)
			if err != nil {
				c.fail(w, r, "list the client's wallets", err)
				return
			}
			now := c.now()
			for _, wl := range wallets {
				d.Wallets = append(d.Wallets, walletRow{Wallet: wl, Ref: walletRef(wl), Usable: wl.Usable(now)})
			}
		}
	}
	c.render(w, r, status, "client", page{Title: "Client", Nav: "clients", Error: problem, Data: d})
}

func formOf(r *http.Request) payoutForm {
	return payoutForm{Asset: r.PostFormValue("asset"), Network: r.PostFormValue("network"),
		Amount: r.PostFormValue("amount"), Address: r.PostFormValue("address"), Memo: r.PostFormValue("memo")}
}

func (f payoutForm) request(clientID, key string) payout.Request {
	return payout.Request{ClientID: clientID, Asset: f.Asset, Network: f.Network, Amount: f.Amount,
		Address: f.Address, Memo: f.Memo, IdempotencyKey: key}
}

// quote asks the fee before the payout: the confirm button that follows
// carries a fresh idempotency key, so pressing it twice makes one payout.
func (c *console) quote(w http.ResponseWriter, r *http.Request) {
	d := clientData{ClientID: chi.URLParam(r, "client_id"), Form: formOf(r), WalletForm: walletForm{Default: true}}
	q, err := c.Service.QuotePayout(r.Context(), d.Form.request(d.ClientID, ""), sessionOf(r.Context()).Actor)
	if err != nil {
		status, msg, fields := explain(err)
		if status >= 500 && status != http.StatusBadGateway {
			c.fail(w, r, "quote the payout", err)
			return
		}
		d.FormErrs = fields
		c.showClient(w, r, status, &d, msg)
		return
	}
	d.Quote, d.Key = &q, "console-"+randomToken()
	c.showClient(w, r, http.StatusOK, &d, "")
}

func (c *console) createPayout(w http.ResponseWriter, r *http.Request) {
	d := clientData{ClientID: chi.URLParam(r, "client_id"), Form: formOf(r), WalletForm: walletForm{Default: true}}
	created, err := c.Service.CreatePayout(r.Context(), d.Form.request(d.ClientID, r.PostFormValue("idempotency_key")),
		sessionOf(r.Context()).Actor)
	if err != nil {
		status, msg, fields := explain(err)
		if status >= 500 {
			c.fail(w, r, "create the payout", err)
			return
		}
		d.FormErrs = fields
		c.showClient(w, r, status, &d, msg)
		return
	}
	http.Redirect(w, r, "/console/payouts/"+url.PathEscape(created.Payout.ID), http.StatusSeeOther)
}

func (c *console) addWallet(w http.ResponseWriter, r *http.Request) {
	d := clientData{ClientID: chi.URLParam(r, "client_id"), WalletForm: walletForm{Asset: r.PostFormValue("asset"),
		Network: r.PostFormValue("network"), Address: r.PostFormValue("address"), Memo: r.PostFormValue("memo"),
		Default: r.PostFormValue("default") == "on"}}
	def := d.WalletForm.Default
	_, err := c.Service.PutWallet(r.Context(), usecase.WalletRequest{ClientID: d.ClientID, Asset: d.WalletForm.Asset,
		Network: d.WalletForm.Network, Address: d.WalletForm.Address, Memo: d.WalletForm.Memo, Default: &def},
		sessionOf(r.Context()).Actor)
	if err != nil {
		status, msg, fields := explain(err)
		if status >= 500 {
			c.fail(w, r, "store the wallet", err)
			return
		}
		d.WalletErrs = fields
		c.showClient(w, r, status, &d, msg)
		return
	}
	c.backToClient(w, r, d.ClientID)
}

func (c *console) backToClient(w http.ResponseWriter, r *http.Request, clientID string) {
	http.Redirect(w, r, "/console/clients?client_id="+url.QueryEscape(clientID), http.StatusSeeOther)
}

// walletAction finds the wallet a form's reference names among the
// client's and applies act to it.
func (c *console) walletAction(act func(r *http.Request, wl store.Wallet) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		clientID := chi.URLParam(r, "client_id")
		if errs := payout.ValidateClientID(clientID); !errs.Empty() {
			c.showClient(w, r, http.StatusUnprocessableEntity, &clientData{ClientID: clientID}, "invalid client id")
			return
		}
		wallets, err := c.Store.ListWallets(r.Context(), clientID)
		if err != nil {
			c.fail(w, r, "list the client's wallets", err)
			return
		}
		ref := r.PostFormValue("wallet")
		for _, wl := range wallets {
			if walletRef(wl) != ref {
				continue
			}
			if err := act(r, wl); err != nil {
				status, msg, _ := explain(err)
				if status >= 500 {
					c.fail(w, r, "change the wallet", err)
					return
				}
				c.showClient(w, r, status, &clientData{ClientID: clientID, WalletForm: walletForm{Default: true}}, msg)
				return
			}
			if r.PostFormValue("back") == "approvals" {
				http.Redirect(w, r, "/console/approvals", http.StatusSeeOther)
				return
			}
			c.backToClient(w, r, clientID)
			return
		}
		c.fail(w, r, "change the wallet", &usecase.NotFoundError{What: "wallet"})
	}
}

func (c *console) makeDefault(r *http.Request, wl store.Wallet) error {
	yes := true
	_, err := c.Service.PutWallet(r.Context(), usecase.WalletRequest{ClientID: wl.ClientID, Asset: wl.Asset,
		Network: wl.Network, Address: wl.Address, Memo: wl.Memo, Default: &yes}, sessionOf(r.Context()).Actor)
	return err
}

func (c *console) disableWallet(r *http.Request, wl store.Wallet) error {
	return c.changeWallet(r, wl, usecase.WalletDisable)
}

func (c *console) approveWallet(r *http.Request, wl store.Wallet) error {
	return c.changeWallet(r, wl, usecase.WalletApprove)
}

func (c *console) changeWallet(r *http.Request, wl store.Wallet, change string) error {
	_, err := c.Service.ChangeWallet(r.Context(), usecase.WalletAt{ClientID: wl.ClientID, Asset: wl.Asset,
		Network: wl.Network, Address: wl.Address}, change, sessionOf(r.Context()).Actor)
	if errors.Is(err, store.ErrNotFound) {
		return &usecase.NotFoundError{What: "wallet"}
	}
	return err
}
