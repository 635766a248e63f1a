"""Input adapters: everything a user may pass as model inputs -> numpy batches.

Accepted: numpy arrays (and array-likes such as framework tensors); lists or
dicts of them for multi-input models; `tf.data.Dataset`; `keras.utils.PyDataset`;
a torch `DataLoader`; any other iterable or generator of batches. Batches may
carry targets the Keras way, `(x, y)` or `(x, y, sample_weight)`: only `x` is
used. Nothing here imports a framework, and no input array is ever written to.
"""

from kerascope.data._batch import prepare_batch
from kerascope.data._stream import Batches, as_batches, coalesce, concatenate

__all__ = ["Batches", "as_batches", "coalesce", "concatenate", "prepare_batch"]
