from servicevm_scheduler.bootstrap import DEFINITION
from shared.runtime import serve

serve(DEFINITION)
