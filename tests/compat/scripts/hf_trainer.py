"""Hugging Face Trainer with report_to="wandb" on a tiny randomly initialised BERT (2 layers,
32 wide) and synthetic tokens: nothing is downloaded."""

import torch
from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainingArguments

torch.manual_seed(0)
config = BertConfig(vocab_size=100, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                    intermediate_size=64, max_position_embeddings=32, num_labels=2)
model = BertForSequenceClassification(config)


class Tokens(torch.utils.data.Dataset):
    def __init__(self, n):
        self.x = torch.randint(0, 100, (n, 16))
        self.y = (self.x[:, 0] > 50).long()

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return {"input_ids": self.x[i], "attention_mask": torch.ones(16, dtype=torch.long), "labels": self.y[i]}


args = TrainingArguments(output_dir="out", report_to="wandb", max_steps=6, per_device_train_batch_size=8,
                         logging_steps=2, eval_strategy="steps", eval_steps=3, save_strategy="no",
                         run_name="tiny-bert", use_cpu=True, disable_tqdm=True)
Trainer(model=model, args=args, train_dataset=Tokens(64), eval_dataset=Tokens(16)).train()
