package testbed

import (
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// RequestCounts are the requests a CountingProxy passed on, by kind.
type RequestCounts struct {
	// Reads are GET requests (get, list, watch, discovery).
	Reads int
	// DryRuns are writes with dryRun=All: nothing is stored, but the API server does the work.
	DryRuns int
	// Writes are every other request: create, apply, patch, update, delete.
	Writes int
	// WriteLog names each write ("PATCH /api/v1/namespaces/x/configmaps/y").
	WriteLog []string
}

// CountingProxy is an HTTPS reverse proxy to a control plane that counts the requests made
// through it. It terminates TLS and sends every request upstream with the cluster's admin
// credentials, so a process whose kubeconfig points at it (Kubeconfig) is counted request by
// request, whatever client it uses.
type CountingProxy struct {
	srv *httptest.Server

	mu     sync.Mutex
	counts RequestCounts
}

// NewCountingProxy starts a counting proxy in front of c; Close ends it.
func NewCountingProxy(c *Cluster) (*CountingProxy, error) {
	target, err := url.Parse(c.Config.Host)
	if err != nil {
		return nil, err
	}
	transport, err := rest.TransportFor(c.Config)
	if err != nil {
		return nil, err
	}
	p := &CountingProxy{}
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.Transport = transport
	rp.FlushInterval = -1 // watches stream
	p.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.count(r)
		r.Header.Del("Authorization")
		rp.ServeHTTP(w, r)
	}))
	p.srv.EnableHTTP2 = true
	p.srv.StartTLS()
	return p, nil
}

func (p *CountingProxy) count(r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case r.Method == http.MethodGet:
		p.counts.Reads++
	case strings.Contains(r.URL.RawQuery, "dryRun=All"):
		p.counts.DryRuns++
	default:
		p.counts.Writes++
		p.counts.WriteLog = append(p.counts.WriteLog, r.Method+" "+r.URL.Path)
	}
}

// Counts returns the requests counted since the start or the last Reset.
func (p *CountingProxy) Counts() RequestCounts {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.counts
	c.WriteLog = append([]string(nil), c.WriteLog...)
	return c
}

// Reset sets every count to zero.
func (p *CountingProxy) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.counts = RequestCounts{}
}

// Kubeconfig returns a kubeconfig for the proxy: its server, its CA, and a token the proxy does
// not forward (it authenticates upstream as the admin).
func (p *CountingProxy) Kubeconfig() ([]byte, error) {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["counted"] = &clientcmdapi.Cluster{Server: p.srv.URL, CertificateAuthorityData: p.caPEM()}
	cfg.AuthInfos["counted"] = &clientcmdapi.AuthInfo{Token: "counted-by-proxy"}
	cfg.Contexts["counted"] = &clientcmdapi.Context{Cluster: "counted", AuthInfo: "counted"}
	cfg.CurrentContext = "counted"
	return clientcmd.Write(*cfg)
}

// Config returns a rest.Config for the proxy (no client-side rate limit, as dr-syncer's default).
func (p *CountingProxy) Config() *rest.Config {
	return &rest.Config{Host: p.srv.URL, BearerToken: "counted-by-proxy", QPS: -1,
		TLSClientConfig: rest.TLSClientConfig{CAData: p.caPEM()}}
}

func (p *CountingProxy) caPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.srv.Certificate().Raw})
}

// Close stops the proxy.
func (p *CountingProxy) Close() { p.srv.Close() }
