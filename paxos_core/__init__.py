"""Sans-IO Paxos: Basic Paxos, Multi-Paxos and a replicated KV store, as pure node logic.

Node classes (configuration only; state passed in and out, see :mod:`paxos_core.events`):
:class:`BasicPaxosReplica`, :class:`MultiPaxosReplica`, :class:`ClientNode`.
Configuration: :class:`ClusterConfig`, :data:`VARIANTS`, :func:`default_schedule`.
Read-only views for properties: :mod:`paxos_core.accessors`.
"""

from paxos_core.accessors import (
    applied_log,
    is_leader,
    kv_replies,
    kv_state,
    leader_belief,
    learned,
    max_round,
    promised_ballot,
    votes_cast,
)
from paxos_core.basic import BasicDurable, BasicPaxosReplica, BasicState, BasicVolatile
from paxos_core.client import ClientNode, ClientState
from paxos_core.config import (
    MULTI_ONLY_VARIANTS,
    VARIANTS,
    ClusterConfig,
    VariantFlags,
    default_schedule,
    propose_schedule,
    variant_parts,
)
from paxos_core.events import CancelTimer, Complete, Invoke, Send, SetTimer
from paxos_core.kv import KVState
from paxos_core.messages import (
    BOTTOM,
    NOOP,
    Accept,
    Accepted,
    Ballot,
    CatchUp,
    Command,
    Decide,
    Learn,
    Nack,
    Prepare,
    Promise,
    Redirect,
    Reply,
    Request,
    message_round,
)
from paxos_core.multi import MultiDurable, MultiPaxosReplica, MultiState, MultiVolatile

#: Replica node class per protocol name (the names ``synod check --model`` uses).
REPLICA_CLASSES: dict[str, type[BasicPaxosReplica] | type[MultiPaxosReplica]] = {
    "basic": BasicPaxosReplica,
    "multipaxos": MultiPaxosReplica,
}

__all__ = [
    "BOTTOM", "NOOP", "VARIANTS", "MULTI_ONLY_VARIANTS", "REPLICA_CLASSES",
    "Accept", "Accepted", "Ballot", "BasicDurable", "BasicPaxosReplica", "BasicState",
    "BasicVolatile", "CancelTimer", "CatchUp", "ClientNode", "ClientState", "ClusterConfig",
    "Command", "Complete", "Decide", "Invoke", "KVState", "Learn", "MultiDurable",
    "MultiPaxosReplica", "MultiState", "MultiVolatile", "Nack", "Prepare", "Promise",
    "Redirect", "Reply", "Request", "Send", "SetTimer", "VariantFlags",
    "applied_log", "variant_parts", "default_schedule", "is_leader", "kv_replies", "kv_state",
    "leader_belief", "learned", "max_round", "message_round", "promised_ballot",
    "propose_schedule", "votes_cast",
]
