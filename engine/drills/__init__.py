"""Drills: which occurrence of a schedule is current (``schedule``) and what is due about it
now (``duties``: announce, start, miss); a schedule's next firings and the warnings about it
(``forecast``); the desk that acts on them in the Store (``desk``); what the audit log
remembers of drills (``history``); a drill run measured against its objectives (``report``);
and a finished drill or failover laid out in time for its picture (``timeline``)."""
