"""Readiness of the DR side, checked continuously and never a trigger: what the DR plan will
act on, looked at through the same ports its stages act through.

- ``check``: a check, what it found, and how an error of its look becomes a verdict;
- ``derive``: the checks of a configuration, from its DR plan's stages (and the failback's
  idea of the DR side between incidents);
- ``database``, ``workloads``, ``traffic``, ``access``, ``drills``: the looks themselves.
"""
