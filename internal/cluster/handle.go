// Package cluster holds Handle, the set of clients dr-syncer uses to talk to one cluster, shared by
// the controllers, the remote-cluster cache, the sync engine and the CLI.
package cluster

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"

	corev1 "k8s.io/api/core/v1"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Handle bundles the clients for one cluster. All share one HTTP client (one connection pool and
// one rate limiter, from Config.QPS/Burst).
type Handle struct {
	// Name identifies the cluster in logs, metrics and annotations.
	Name string
	// Config is the rest.Config the clients were built from.
	Config *rest.Config
	// Client is an uncached controller-runtime client.
	Client client.Client
	// Dynamic serves unstructured reads and writes of any type.
	Dynamic dynamic.Interface
	// Metadata serves metadata-only reads and watches (small informer caches).
	Metadata metadata.Interface
	// Discovery is memory-cached; call Invalidate to see newly installed types.
	Discovery discovery.CachedDiscoveryInterface
	// Mapper resolves kinds to resources through Discovery.
	Mapper meta.ResettableRESTMapper
	// HTTPClient is shared by all of the above.
	HTTPClient *http.Client

	idMu   sync.Mutex
	id     string
	closed atomic.Bool
}

// IdentityNamespace is the namespace whose UID identifies a cluster: every cluster has it, it is
// never deleted, and its UID differs between clusters even when they share a name or an address.
const IdentityNamespace = "kube-system"

// ErrClosed is returned by the engine's write gate for a handle whose cluster was disconnected
// or whose credentials were replaced: nothing may be written through it any more.
var ErrClosed = errors.New("cluster handle closed: the RemoteCluster was deleted or its credentials changed")

// New builds a Handle. cfg is copied; its QPS and Burst apply to every client of the handle.
func New(name string, cfg *rest.Config) (*Handle, error) {
	cfg = rest.CopyConfig(cfg)
	httpClient, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: %w", name, err)
	}
	dc, err := discovery.NewDiscoveryClientForConfigAndClient(cfg, httpClient)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: discovery: %w", name, err)
	}
	cached := memory.NewMemCacheClient(dc)
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(cached)
	dyn, err := dynamic.NewForConfigAndClient(cfg, httpClient)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: dynamic client: %w", name, err)
	}
	md, err := metadata.NewForConfigAndClient(cfg, httpClient)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: metadata client: %w", name, err)
	}
	c, err := client.New(cfg, client.Options{HTTPClient: httpClient, Mapper: mapper, Scheme: Scheme})
	if err != nil {
		return nil, fmt.Errorf("cluster %s: client: %w", name, err)
	}
	return &Handle{Name: name, Config: cfg, Client: c, Dynamic: dyn, Metadata: md, Discovery: cached, Mapper: mapper, HTTPClient: httpClient}, nil
}

// ID returns the cluster's identity: the UID of its kube-system namespace. Two handles with the
// same ID reach the same cluster, whatever server URL or name they were given. The first
// successful read is cached for the life of the handle; errors (unreachable, forbidden) are not.
func (h *Handle) ID(ctx context.Context) (string, error) {
	h.idMu.Lock()
	defer h.idMu.Unlock()
	if h.id != "" {
		return h.id, nil
	}
	ns := &corev1.Namespace{}
	if err := h.Client.Get(ctx, client.ObjectKey{Name: IdentityNamespace}, ns); err != nil {
		return "", fmt.Errorf("reading the identity of cluster %s (the UID of namespace %s; the credentials need get on it): %w", h.Name, IdentityNamespace, err)
	}
	h.id = string(ns.UID)
	return h.id, nil
}

// Close marks the handle as retired: the engine's gate refuses every write through it. Reads
// still work, so that goroutines holding it finish cleanly.
func (h *Handle) Close() { h.closed.Store(true) }

// Closed tells whether Close was called.
func (h *Handle) Closed() bool { return h.closed.Load() }

// Invalidate drops cached discovery, so types installed since are seen.
func (h *Handle) Invalidate() {
	h.Discovery.Invalidate()
	h.Mapper.Reset()
}
