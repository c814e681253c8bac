from servicevm_lifecycle.bootstrap import DEFINITION
from shared.runtime import serve

serve(DEFINITION)
