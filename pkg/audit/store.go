package audit

import (
	"context"
	"log/slog"
	"sort"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/slipway-dev/slipway/pkg/names"
)

// Store writes records as ConfigMaps and lists them from an informer.
type Store struct {
	client     kubernetes.Interface
	namespace  string
	maxRecords int
	log        *slog.Logger
	factory    informers.SharedInformerFactory
	lister     corelisters.ConfigMapLister
	synced     cache.InformerSynced
	stop       context.CancelFunc
}

// NewStore keeps at most maxRecords records in namespace.
func NewStore(client kubernetes.Interface, namespace string, maxRecords int, log *slog.Logger) *Store {
	factory := informers.NewSharedInformerFactoryWithOptions(client, 0, informers.WithNamespace(namespace),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = names.LabelAuditRecord + "=true" }))
	cms := factory.Core().V1().ConfigMaps()
	return &Store{client: client, namespace: namespace, maxRecords: maxRecords, log: log,
		factory: factory, lister: cms.Lister(), synced: cms.Informer().HasSynced}
}

// Start runs the informer until ctx ends and waits for it to sync.
func (s *Store) Start(ctx context.Context) bool {
	ctx, s.stop = context.WithCancel(ctx)
	s.factory.Start(ctx.Done())
	return cache.WaitForCacheSync(ctx.Done(), s.synced)
}

// Shutdown stops the informer and waits for it.
func (s *Store) Shutdown() {
	if s.stop != nil {
		s.stop()
	}
	s.factory.Shutdown()
}

// Write logs r as a JSON line and stores it. A store failure is logged, not
// returned: the call it records has already happened.
func (s *Store) Write(ctx context.Context, r Record) {
	s.log.Info("audit", "audit", r)
	// Detached from the request: a client that hangs up must not lose its record.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if _, err := s.client.CoreV1().ConfigMaps(s.namespace).Create(ctx, Build(s.namespace, r), metav1.CreateOptions{}); err != nil {
		s.log.Error("storing an audit record", "id", r.ID, "err", err)
		return
	}
	s.prune(ctx)
}

// prune deletes the oldest records beyond the maximum, in batches so that
// not every write lists.
func (s *Store) prune(ctx context.Context) {
	all, err := s.lister.List(labels.Everything())
	if err != nil || len(all) <= s.maxRecords+s.maxRecords/20 {
		return
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Name < all[j].Name })
	for _, cm := range all[:len(all)-s.maxRecords] {
		err := s.client.CoreV1().ConfigMaps(s.namespace).Delete(ctx, cm.Name, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			s.log.Error("pruning audit records", "err", err)
			return
		}
	}
}

// List returns the records that pass f and allow, newest first.
func (s *Store) List(f Filter, allow func(Record) bool) ([]Record, error) {
	all, err := s.lister.List(labels.Everything())
	if err != nil {
		return nil, err
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Name > all[j].Name })
	out := []Record{}
	for _, cm := range all {
		r, err := Parse(cm)
		if err != nil {
			s.log.Warn("skipping an unreadable audit record", "name", cm.Name)
			continue
		}
		if f.Match(r) && allow(r) {
			out = append(out, r)
		}
		if f.Limit > 0 && len(out) >= f.Limit {
			break
		}
	}
	return out, nil
}
