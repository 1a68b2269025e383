"""The Ray backend: the same searches, spread over Ray actors (BFS) and tasks (walks).

- cluster.py: importing Ray (an optional extra), joining a cluster or starting a quiet
  local instance;
- partition.py: one owner's part of a level-synchronous BFS, transport-free;
- bfs.py: the partitions as Ray actors, driven level by level;
- walks.py: random walks and swarm as Ray tasks, merged in walk order.

Counts never depend on the backend or the worker count; docs/distributed.md argues the
design. Ray itself is imported only when a search runs here.
"""
