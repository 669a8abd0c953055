// Package clustercache owns the clients of every RemoteCluster: it builds them from the kubeconfig
// Secret, rebuilds them when the credentials change, probes health and hands them out only while healthy.
package clustercache

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/version"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/flowcontrol"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/cluster"
	"github.com/dr-syncer/dr-syncer/internal/kubeconfig"
	drversion "github.com/dr-syncer/dr-syncer/internal/version"
)

const (
	// ProbeTimeout bounds one health probe (GET /version and GET /readyz together).
	ProbeTimeout = 5 * time.Second
	// RequestTimeout bounds every request made through a handle.
	RequestTimeout = 30 * time.Second
	// ReasonPending is the NotConnectedError reason of a cluster that has not been probed yet.
	ReasonPending = "Pending"

	defaultRetryAfter = 10 * time.Second
	minRetryAfter     = time.Second
	maxMessageLength  = 1024
)

// ErrNotConnected matches (errors.Is) every *NotConnectedError.
var ErrNotConnected = errors.New("remote cluster not connected")

// NotConnectedError says why a cluster's handle is not available. Callers requeue after
// RetryAfter instead of retrying at once.
type NotConnectedError struct {
	// Cluster is the RemoteCluster's name.
	Cluster string
	// Reason is a RemoteCluster Ready reason (drv1.ReasonUnreachable, ...) or ReasonPending.
	Reason string
	// Message is actionable and never contains credentials.
	Message string

	retryAfter time.Duration
	err        error
}

func (e *NotConnectedError) Error() string {
	return fmt.Sprintf("remote cluster %s not connected (%s): %s", e.Cluster, e.Reason, e.Message)
}

// Is makes errors.Is(err, ErrNotConnected) true.
func (e *NotConnectedError) Is(target error) bool { return target == ErrNotConnected }

// Unwrap returns the underlying error, e.g. a *kubeconfig.RejectedError.
func (e *NotConnectedError) Unwrap() error { return e.err }

// RetryAfter is how long to wait before asking again: until the cluster's next probe is due.
func (e *NotConnectedError) RetryAfter() time.Duration {
	if e.retryAfter < minRetryAfter {
		return defaultRetryAfter
	}
	return e.retryAfter
}

// Options configure a Cache.
type Options struct {
	// Namespace is the one namespace whose RemoteClusters are served.
	Namespace string
	// Policy decides which kubeconfig features are accepted.
	Policy kubeconfig.Policy
}

// Cache holds one entry per RemoteCluster. The RemoteCluster reconciler feeds it (Connect, Probe,
// SetNotConnected, Disconnect); everything else reads it with Get.
type Cache struct {
	opts    Options
	reader  client.Reader
	elected <-chan struct{}

	mu      sync.RWMutex
	entries map[string]*entry

	startup startupState
}

type entry struct {
	handle *cluster.Handle
	// hash covers everything the handle is built from: kubeconfig bytes, context, qps, burst.
	hash     [sha256.Size]byte
	secret   string
	interval time.Duration

	connected bool
	reason    string
	message   string
	err       error
	updated   time.Time
}

// New returns an empty cache for the RemoteClusters in opts.Namespace.
func New(mgr manager.Manager, opts Options) *Cache {
	return &Cache{
		opts:    opts,
		reader:  mgr.GetAPIReader(),
		elected: mgr.Elected(),
		entries: map[string]*entry{},
		startup: startupState{seen: map[string]struct{}{}},
	}
}

// Get returns the handle of RemoteCluster name if its last probe succeeded, else a
// *NotConnectedError.
func (c *Cache) Get(_ context.Context, name string) (*cluster.Handle, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	e := c.entries[name]
	if e == nil {
		return nil, &NotConnectedError{Cluster: name, Reason: ReasonPending,
			Message: fmt.Sprintf("RemoteCluster %s/%s has not been probed yet (or does not exist)", c.opts.Namespace, name)}
	}
	if !e.connected {
		return nil, e.notConnected(name)
	}
	return e.handle, nil
}

func (e *entry) notConnected(name string) *NotConnectedError {
	retry := time.Until(e.updated.Add(e.interval))
	return &NotConnectedError{Cluster: name, Reason: e.reason, Message: e.message, retryAfter: retry, err: e.err}
}

// Connect makes sure the cache holds a handle built from kubeconfig (the content of rc's Secret
// key). The handle is rebuilt only when the kubeconfig, context, qps or burst changed; a rebuilt
// handle is not handed out by Get until the next successful Probe. Errors are *NotConnectedError
// with reason InvalidKubeconfig or KubeconfigRejected, wrapping the kubeconfig error.
func (c *Cache) Connect(_ context.Context, rc *drv1.RemoteCluster, data []byte) (*cluster.Handle, error) {
	c.startup.observe(rc.Name)
	hash := inputsHash(data, rc.Spec.Context, rc.Spec.QPS, rc.Spec.Burst)
	secret := secretName(rc)
	interval := rc.Spec.ProbeInterval()

	c.mu.Lock()
	if e := c.entries[rc.Name]; e != nil && e.handle != nil && e.hash == hash {
		e.secret, e.interval = secret, interval
		c.mu.Unlock()
		return e.handle, nil
	}
	c.mu.Unlock()

	h, err := c.build(rc, data)
	if err != nil {
		reason := drv1.ReasonInvalidKubeconfig
		if kubeconfig.IsRejected(err) {
			reason = drv1.ReasonKubeconfigRejected
		}
		msg := fmt.Sprintf("kubeconfig in Secret %s: %s", secret, err.Error())
		e := &entry{secret: secret, interval: interval, reason: reason, message: msg, err: err, updated: time.Now()}
		c.replace(rc.Name, e)
		return nil, e.notConnected(rc.Name)
	}
	c.replace(rc.Name, &entry{handle: h, hash: hash, secret: secret, interval: interval,
		reason: ReasonPending, message: "connecting to " + h.Config.Host, updated: time.Now()})
	return h, nil
}

// SetRateLimit sets a cluster's client-side rate limit from a RemoteCluster's qps and burst:
// none when qps is 0 (the API server's Priority and Fairness and the bounded writers protect
// it, as controller-runtime does by default), else one token bucket shared by every client of
// the handle, burst defaulting to twice qps.
func SetRateLimit(cfg *rest.Config, qps, burst int32) {
	if qps <= 0 {
		cfg.QPS, cfg.Burst, cfg.RateLimiter = -1, 0, nil
		return
	}
	if burst <= 0 {
		burst = 2 * qps
	}
	cfg.QPS, cfg.Burst = float32(qps), int(burst)
	// One limiter for every client of the handle: the spec's rate is per cluster, not per client.
	cfg.RateLimiter = flowcontrol.NewTokenBucketRateLimiter(cfg.QPS, cfg.Burst)
}

func (c *Cache) build(rc *drv1.RemoteCluster, data []byte) (*cluster.Handle, error) {
	cfg, err := kubeconfig.Load(data, rc.Spec.Context, c.opts.Policy)
	if err != nil {
		return nil, err
	}
	SetRateLimit(cfg, rc.Spec.QPS, rc.Spec.Burst)
	cfg.Timeout = RequestTimeout
	cfg.UserAgent = "dr-syncer/" + drversion.Version
	return cluster.New(rc.Name, cfg)
}

// replace installs e for name and retires the handle it replaces: callers still holding it can
// read through it, but the engine's gate refuses every write (cluster.ErrClosed).
func (c *Cache) replace(name string, e *entry) {
	c.mu.Lock()
	old := c.entries[name]
	c.entries[name] = e
	c.mu.Unlock()
	if old != nil && old.handle != nil && (e == nil || old.handle != e.handle) {
		old.handle.Close()
		old.handle.HTTPClient.CloseIdleConnections()
	}
}

// Probe checks the cluster's handle with GET /version and GET /readyz within ProbeTimeout, records
// the result for Get and returns the server's gitVersion. Errors are *NotConnectedError with
// reason Unauthorized (HTTP 401/403) or Unreachable (anything else).
func (c *Cache) Probe(ctx context.Context, name string) (string, error) {
	c.startup.observe(name)
	c.mu.RLock()
	e := c.entries[name]
	switch {
	case e == nil:
		c.mu.RUnlock()
		return "", &NotConnectedError{Cluster: name, Reason: ReasonPending, Message: "no connection: Connect was not called"}
	case e.handle == nil:
		defer c.mu.RUnlock()
		return "", e.notConnected(name)
	}
	h, secret := e.handle, e.secret
	c.mu.RUnlock()

	ver, reason, msg, err := probe(ctx, h, secret)

	c.mu.Lock()
	defer c.mu.Unlock()
	cur := c.entries[name]
	if cur == nil || cur.handle != h {
		// Disconnected or rebuilt meanwhile: the result is about a handle nobody uses any more.
		if err != nil {
			return "", &NotConnectedError{Cluster: name, Reason: reason, Message: msg, err: err}
		}
		return ver, nil
	}
	cur.updated = time.Now()
	if err != nil {
		cur.connected, cur.reason, cur.message, cur.err = false, reason, msg, err
		return "", cur.notConnected(name)
	}
	cur.connected, cur.reason, cur.message, cur.err = true, drv1.ReasonConnected, msg, nil
	return ver, nil
}

func probe(ctx context.Context, h *cluster.Handle, secret string) (ver, reason, msg string, err error) {
	ctx, cancel := context.WithTimeout(ctx, ProbeTimeout)
	defer cancel()
	host := h.Config.Host
	rest := h.Discovery.RESTClient()

	body, err := rest.Get().AbsPath("/version").Do(ctx).Raw()
	if err == nil {
		var info version.Info
		if jerr := json.Unmarshal(body, &info); jerr != nil || info.GitVersion == "" {
			return "", drv1.ReasonUnreachable, fmt.Sprintf("%s answered GET /version with something that is not a Kubernetes version: is this an API server?", host), errors.New("unparsable /version")
		}
		ver = info.GitVersion
		_, err = rest.Get().AbsPath("/readyz").Do(ctx).Raw()
		if err != nil {
			err = fmt.Errorf("GET /readyz: %w", err)
		}
	} else {
		err = fmt.Errorf("GET /version: %w", err)
	}
	switch {
	case err == nil:
		return ver, drv1.ReasonConnected, fmt.Sprintf("connected to %s (Kubernetes %s)", host, ver), nil
	case apierrors.IsUnauthorized(err):
		return "", drv1.ReasonUnauthorized, fmt.Sprintf("%s refused the credentials (HTTP 401): the token or client certificate in Secret %s is wrong or expired; update the Secret", host, secret), err
	case apierrors.IsForbidden(err):
		return "", drv1.ReasonUnauthorized, fmt.Sprintf("%s accepted the credentials from Secret %s but forbids them to read %s (HTTP 403): grant the user access to /version and /readyz", host, secret, probedPath(err)), err
	case ctx.Err() != nil && errors.Is(err, context.DeadlineExceeded):
		return "", drv1.ReasonUnreachable, fmt.Sprintf("%s did not answer %s within %s: check the server address and the network path", host, probedPath(err), ProbeTimeout), err
	default:
		return "", drv1.ReasonUnreachable, truncate(fmt.Sprintf("cannot reach %s: %v", host, err)), err
	}
}

func probedPath(err error) string {
	if strings.HasPrefix(err.Error(), "GET /readyz") {
		return "/readyz"
	}
	return "/version"
}

// SetNotConnected records that rc cannot be connected for a reason found before Connect (its
// Secret or key is missing) and drops its handle.
func (c *Cache) SetNotConnected(rc *drv1.RemoteCluster, reason, message string) {
	c.startup.observe(rc.Name)
	c.replace(rc.Name, &entry{secret: secretName(rc), interval: rc.Spec.ProbeInterval(),
		reason: reason, message: message, updated: time.Now()})
}

// Disconnect forgets the cluster (its RemoteCluster is gone).
func (c *Cache) Disconnect(name string) {
	c.startup.observe(name)
	c.mu.Lock()
	old := c.entries[name]
	delete(c.entries, name)
	c.mu.Unlock()
	if old != nil && old.handle != nil {
		old.handle.Close()
		old.handle.HTTPClient.CloseIdleConnections()
	}
}

// ReadyzCheck is a readiness check: it fails until every RemoteCluster that existed when the
// process became leader has been reconciled once, whatever the outcome. A replica that is not
// the leader reconciles nothing and is ready.
func (c *Cache) ReadyzCheck(req *http.Request) error {
	if c.startup.done.Load() {
		return nil
	}
	select {
	case <-c.elected:
	default:
		return nil
	}
	return c.startup.check(req.Context(), c.reader, c.opts.Namespace)
}

// startupState tracks which RemoteClusters present at start have been reconciled.
type startupState struct {
	done atomic.Bool

	mu      sync.Mutex
	listed  bool
	pending map[string]struct{}
	seen    map[string]struct{}
}

func (s *startupState) observe(name string) {
	if s.done.Load() {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.listed {
		delete(s.pending, name)
	} else {
		s.seen[name] = struct{}{}
	}
}

func (s *startupState) check(ctx context.Context, r client.Reader, namespace string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.listed {
		list := &drv1.RemoteClusterList{}
		if err := r.List(ctx, list, client.InNamespace(namespace)); err != nil {
			return fmt.Errorf("listing RemoteClusters: %w", err)
		}
		s.pending = map[string]struct{}{}
		for _, rc := range list.Items {
			if _, ok := s.seen[rc.Name]; !ok {
				s.pending[rc.Name] = struct{}{}
			}
		}
		s.listed, s.seen = true, nil
	}
	if len(s.pending) == 0 {
		s.done.Store(true)
		s.pending = nil
		return nil
	}
	names := make([]string, 0, len(s.pending))
	for n := range s.pending {
		names = append(names, n)
	}
	slices.Sort(names)
	if len(names) > 10 {
		names = append(names[:10], "...")
	}
	return fmt.Errorf("%d RemoteClusters not reconciled yet: %s", len(s.pending), strings.Join(names, ", "))
}

// secretName names rc's kubeconfig Secret and key for messages.
func secretName(rc *drv1.RemoteCluster) string {
	ref := rc.Spec.KubeconfigSecretRef
	if ref.Key == "" {
		return rc.Namespace + "/" + ref.Name
	}
	return fmt.Sprintf("%s/%s (key %s)", rc.Namespace, ref.Name, ref.Key)
}

func inputsHash(data []byte, kubeContext string, qps, burst int32) [sha256.Size]byte {
	h := sha256.New()
	for _, part := range [][]byte{data, []byte(kubeContext)} {
		_ = binary.Write(h, binary.BigEndian, uint64(len(part)))
		h.Write(part)
	}
	_ = binary.Write(h, binary.BigEndian, qps)
	_ = binary.Write(h, binary.BigEndian, burst)
	var sum [sha256.Size]byte
	copy(sum[:], h.Sum(nil))
	return sum
}

func truncate(s string) string {
	if len(s) <= maxMessageLength {
		return s
	}
	return s[:maxMessageLength] + "..."
}
