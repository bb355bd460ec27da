"""Readiness of the DR side, checked continuously and never a trigger: what the DR plan will
act on, looked at through the same ports its stages act through.

- ``check``: a check, a named look at one part of the DR side, and what it found;
- ``derive``: the checks of a configuration, from its DR plan's stages (and the failback's
  idea of the DR side between incidents);
- ``database``, ``objects``, ``workloads``, ``traffic``, ``access``, ``drills``: the looks
  themselves;
- ``forecast``: the RPO and RTO a failover started now would have, and how they were derived;
- ``notices``: when the incident channel hears of a change (once, after it held);
- ``sweep``: one sweep of them all, stored for every replica to show.
"""
