"""What-if planning: scenarios (changes to a day) run in parallel and compared, care patches, pricing.

Start at :mod:`.scenarios` (changes, scenarios, runs and comparisons), :mod:`.patches`
(patches from small areas, and their measures), :mod:`.pricing` (patch prices and staff
cost) and :mod:`.sweep` (parallel runs on local processes or a Dask cluster). Nothing here
prints: functions return objects and the command line shows them (the one exception is
the progress bar a caller asks for with ``progress=True``).
"""
