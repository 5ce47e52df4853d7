# Set-up is automatic: every target that needs the environment creates .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DATA_DIR ?= $(or $(SPARSEAE_DATA_DIR),$(wildcard ../shared/data))

.PHONY: install demo test lint bench bench-mnist reproduce-barlaud2021 reproduce-barlaud2021-variants \
	reproduce-parts-fashion parts-table reproduce-lecture reproduce-theodosis2021 \
	reproduce-theodosis2021-long reproduce-pyle reproduce-saucie clean

# torch==2.13.0 is installed first. From PyPI on Linux that pin is the CUDA build (about 20
# nvidia-* packages, right for a GPU); for a CPU-only install take PyTorch's CPU wheel index:
#   make demo TORCH_INDEX=https://download.pytorch.org/whl/cpu
# (machines configured with a local CPU wheel, as the CI's, get it without the option).
TORCH_INDEX ?=
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0 $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX))
	# The filter hides setuptools' notice on every editable install of a package whose configs
	# live outside it (conf/ ships as sparseae_cli.conf); nothing else is silenced.
	PYTHONWARNINGS="ignore:Editable installation" $(BIN)/pip install --quiet -e ".[dev,slurm,tracking,singlecell]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/sparseae train

test: $(STAMP)
	SPARSEAE_DATA_DIR=$(DATA_DIR) $(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check sparseae_cli hydra_plugins tests bench

bench: $(STAMP)
	$(BIN)/python bench/bench_projections.py
	$(BIN)/python bench/bench_barlaud2021.py --data-dir "$(DATA_DIR)"
	$(BIN)/python bench/bench_parts.py --data-dir "$(DATA_DIR)"
	$(BIN)/python bench/bench_lecture.py --data-dir "$(DATA_DIR)"
	$(BIN)/python bench/bench_theodosis.py --data-dir "$(DATA_DIR)"
	$(BIN)/python bench/bench_pyle.py --data-dir "$(DATA_DIR)"
	$(BIN)/python bench/bench_newcomer.py --data-dir "$(DATA_DIR)"
	$(BIN)/python bench/bench_compile.py --data-dir "$(DATA_DIR)"
	$(BIN)/python bench/bench_saucie.py

bench-mnist: $(STAMP)
	$(BIN)/python bench/bench_barlaud2021.py --data-dir "$(DATA_DIR)" --mnist

# Barlaud & Guyard 2021: Table 1 (and Table 2 when LUNG.csv is in the data directory),
# latent-space figures, MNIST reconstructions and Metropolis-Hastings samples.
EXP := outputs/experiments
SPARSEAE := $(BIN)/sparseae
reproduce-barlaud2021: $(STAMP)
	$(SPARSEAE) train experiment=barlaud2021_ohlson data_dir="$(DATA_DIR)" hydra/launcher=processes hydra.launcher.n_jobs=2
	$(SPARSEAE) report --table barlaud2021_table1 $(EXP)/barlaud2021_ohlson
	$(SPARSEAE) figures $(EXP)/barlaud2021_ohlson --select constraint=l11,eta=10000 --select constraint=l11,eta=1000 \
		--out $(EXP)/barlaud2021_ohlson/report/figures
	@if [ -f "$(DATA_DIR)/LUNG.csv" ] || [ -f "$(DATA_DIR)/lung/LUNG.csv" ]; then \
		$(SPARSEAE) train experiment=barlaud2021_lung data_dir="$(DATA_DIR)" hydra/launcher=processes hydra.launcher.n_jobs=2 && \
		$(SPARSEAE) report --table barlaud2021_table2 $(EXP)/barlaud2021_lung && \
		$(SPARSEAE) figures $(EXP)/barlaud2021_lung --select constraint=l1,eta=10000 --select constraint=l1,eta=300 \
			--out $(EXP)/barlaud2021_lung/report/figures; \
	else echo "Table 2 skipped: LUNG.csv is not in $(DATA_DIR) (it cannot be downloaded; see README)"; fi
	$(SPARSEAE) train experiment=barlaud2021_mnist data_dir="$(DATA_DIR)"
	$(SPARSEAE) figures $(EXP)/barlaud2021_mnist
	$(SPARSEAE) sample $(EXP)/barlaud2021_mnist n=10

reproduce-barlaud2021-variants: $(STAMP)
	$(BIN)/python scripts/barlaud2021_variants.py --data-dir "$(DATA_DIR)"

# Part-based sparse non-negative AEs (Fashion-MNIST report): Tables 1 and 2, each with the
# p x beta grid (the experiment's sweep) and the two baselines (one run each), Figs 4-7 / 9-12 for
# the table rows and Figs 8, 13, 14.
# The report's budget, 500 epochs, is what reproduces its numbers (docs/parts_fashion.md): about 4 h for Table 1
# on 2 CPU cores, Table 2 wants a GPU. A quick look at the models' own CPU defaults (shallow 30
# epochs, asym 10): make reproduce-parts-fashion PARTS_EPOCHS=
# Products in bfloat16 (1.6x faster an asymmetric epoch on an AVX512-BF16 CPU, see docs/performance.md):
# make reproduce-parts-fashion PARTS_ARGS=train.precision=bf16
PARTS_EPOCHS ?= 500
PARTS_ARGS ?=
PARTS_RUN := data_dir="$(DATA_DIR)" hydra/launcher=processes hydra.launcher.n_jobs=2 threads=1 \
	$(if $(PARTS_EPOCHS),train.epochs=$(PARTS_EPOCHS)) $(PARTS_ARGS)
PARTS_T1_ROWS := p=0.2,beta=0.001 p=0.1,beta=0.01 p=0.05,beta=0.001 p=0.01,beta=0.005
PARTS_T2_ROWS := p=0.05,beta=0.001 p=0.05,beta=0.005 p=0.01,beta=0.001 p=0.01,beta=0.01
reproduce-parts-fashion: $(STAMP)
	$(MAKE) parts-table TABLE=parts_fashion_table1 ROWS="$(PARTS_T1_ROWS)"
	$(MAKE) parts-table TABLE=parts_fashion_table2 ROWS="$(PARTS_T2_ROWS)"

parts-table: $(STAMP)
	$(SPARSEAE) train experiment=$(TABLE) $(PARTS_RUN)
	$(SPARSEAE) train experiment=$(TABLE) parts_setting=sparse_nmf $(PARTS_RUN)
	$(SPARSEAE) train experiment=$(TABLE) parts_setting=unconstrained $(PARTS_RUN)
	$(SPARSEAE) report --table $(TABLE) $(EXP)/$(TABLE)
	$(SPARSEAE) figures --grid $(EXP)/$(TABLE) --out $(EXP)/$(TABLE)/report/figures
	$(SPARSEAE) figures $(EXP)/$(TABLE) --select model=sparse_nmf --select tag=unconstrained \
		$(foreach row,$(ROWS),--select $(row)) --out $(EXP)/$(TABLE)/report/figures

# The lecture's autoencoders on MNIST (the Keras blog's protocol): every row of conf/lecture_model
# (simple, sparse, deep, conv with the blog's epochs; denoising at 20 of its 100; contractive,
# binary, linear), the table beside the blog's losses, and figures: reconstructions (with
# noisy/denoised rows), latent PCA, loss curves and Jacobian spectra. See docs/lecture.md.
LECTURE := $(EXP)/lecture_mnist
LECTURE_ROWS := simple sparse deep conv denoising contractive binary linear
reproduce-lecture: $(STAMP)
	$(SPARSEAE) train experiment=lecture_mnist data_dir="$(DATA_DIR)"
	$(SPARSEAE) report --table lecture_mnist $(LECTURE)
	$(SPARSEAE) figures $(foreach row,$(LECTURE_ROWS),$(LECTURE)/lecture_model=$(row)) --out $(LECTURE)/report/figures

clean:
	rm -rf $(VENV) build dist *.egg-info

# Theodosis & Ba 2023 (group-sparse unrolled AE): the pixel basis, the sparse AE and the group-sparse
# AE (and its lambda sweep) on MNIST and grayscale CIFAR-10, the class-structure table (Figs 2-4 as
# numbers) and the figures (distance matrices, class-mean activity, atoms per group).
# See docs/theodosis2021.md.
THEODOSIS := $(EXP)/theodosis2021
reproduce-theodosis2021: $(STAMP)
	$(SPARSEAE) train experiment=theodosis2021_mnist data_dir="$(DATA_DIR)"
	$(SPARSEAE) report --table theodosis2021_mnist $(THEODOSIS)_mnist
	$(SPARSEAE) figures --class-structure $(foreach row,pixels sparse group,$(THEODOSIS)_mnist/theodosis_model=$(row)) \
		--out $(THEODOSIS)_mnist/report/figures
	$(SPARSEAE) train experiment=theodosis2021_cifar10 data_dir="$(DATA_DIR)"
	$(SPARSEAE) report --table theodosis2021_cifar10 $(THEODOSIS)_cifar10
	$(SPARSEAE) figures --class-structure $(foreach row,pixels sparse group,$(THEODOSIS)_cifar10/theodosis_model=$(row)) \
		--out $(THEODOSIS)_cifar10/report/figures

# The authors' budget for the group-sparse AE on MNIST: 200 epochs (about 50 minutes on 2 CPU cores),
# checkpointed every 10: how far the 20-epoch default is from it.
reproduce-theodosis2021-long: $(STAMP)
	$(SPARSEAE) train experiment=theodosis2021_mnist data_dir="$(DATA_DIR)" theodosis_model=group \
		train.epochs=200 train.checkpoint_every=10 hydra.sweep.dir=$(THEODOSIS)_mnist_200epochs

# Pyle, "A Sparse VAE": the Gaussian, Laplace and Cauchy priors on synthetic patches (10 latents),
# MNIST (10 and 2 latents) and 12x12 grayscale CIFAR-10 patches (25 latents), their tables and the
# report's appendix figures; first the sanity anchor (pytorch/examples' VAE: ~105.6 nats).
# About 24 minutes on 2 CPU cores (docs/pyle.md).
PYLE := $(EXP)/pyle
PYLE_SETS := patches mnist mnist2d cifar10
# The rows drawn for each set (the unclamped Cauchy VAE diverges under the Gaussian likelihood).
PYLE_ROWS_patches := gaussian laplace cauchy_clamped
PYLE_ROWS_mnist := gaussian laplace cauchy
PYLE_ROWS_mnist2d := gaussian laplace cauchy
PYLE_ROWS_cifar10 := gaussian laplace cauchy_clamped
reproduce-pyle: $(STAMP)
	$(SPARSEAE) train dataset=mnist model=vae data_dir="$(DATA_DIR)" tag=anchor hydra.run.dir=$(PYLE)_anchor
	$(foreach set,$(PYLE_SETS),$(SPARSEAE) train experiment=pyle_$(set) data_dir="$(DATA_DIR)" &&) true
	$(foreach set,$(PYLE_SETS),$(SPARSEAE) report --table pyle_$(set) $(PYLE)_$(set) &&) true
	$(foreach set,$(PYLE_SETS),$(SPARSEAE) figures --generative \
		$(foreach row,$(PYLE_ROWS_$(set)),$(PYLE)_$(set)/pyle_model=$(row)) --out $(PYLE)_$(set)/report/figures &&) true

# SAUCIE and AAnet, the lecture's single-cell systems, on Ohlson (docs/saucie.md): SAUCIE's
# clusters beside k-means on PCA and Leiden, batch correction on a known shift, AAnet's archetypes
# beside a linear hull; the tables and the embedding figures.
SC_SETS := saucie_ohlson saucie_batches aanet_ohlson
reproduce-saucie: $(STAMP)
	$(foreach set,$(SC_SETS),$(SPARSEAE) train experiment=$(set) data_dir="$(DATA_DIR)" &&) true
	$(foreach set,$(SC_SETS),$(SPARSEAE) report --table $(set) $(EXP)/$(set) &&) true
	$(SPARSEAE) figures --single-cell $(foreach m,saucie kmeans_pca leiden,$(EXP)/saucie_ohlson/single_cell_method=$(m)) \
		--out $(EXP)/saucie_ohlson/report/figures
	$(SPARSEAE) figures --single-cell $(foreach m,saucie saucie_mmd leiden,$(EXP)/saucie_batches/single_cell_method=$(m)) \
		--out $(EXP)/saucie_batches/report/figures
	$(SPARSEAE) figures --single-cell $(foreach m,aanet pca_archetypes,$(EXP)/aanet_ohlson/single_cell_method=$(m)) \
		--out $(EXP)/aanet_ohlson/report/figures
