// The vhost-user target's oracle counts this process's descriptors and mappings (/proc/self/fd,
// /proc/self/maps): two targets running at once would see each other's. So these tests run one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
